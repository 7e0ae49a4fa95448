/**
 * Database invariants of seats, bookings and holds, checked after every hold and party test: whatever
 * happened, nothing is half-held or half-booked.
 */
import assert from 'node:assert/strict';
import { query } from './api.ts';

export async function assertSeatInvariants(url: string): Promise<void> {
  const [row] = await query(url, `
    with booking_seats as (
      select b.id, b.status,
             coalesce(nullif((select count(*) from booking_passengers p where p.booking_id = b.id), 0), 1) as passengers,
             (select count(*) from seats s where s.booking_id = b.id) as seat_rows
        from bookings b)
    select
      -- a confirmed booking holds two seats per passenger, a cancelled one none
      (select count(*)::int from booking_seats where (status = 'confirmed' and seat_rows <> 2 * passengers)
                                                  or (status = 'cancelled' and seat_rows <> 0)) as bad_bookings,
      -- a live hold has exactly its seats, on its flights
      (select count(*)::int from seat_holds h
        where h.status = 'active' and h.expires_at > clock_timestamp()
          and (select array_agg(s.seat_number order by s.seat_number) from seats s where s.hold_id = h.id and s.flight_id = h.outbound_flight_id)
                is distinct from (select array_agg(x order by x) from unnest(h.outbound_seats) x)
           or h.status = 'active' and h.expires_at > clock_timestamp()
          and (select array_agg(s.seat_number order by s.seat_number) from seats s where s.hold_id = h.id and s.flight_id = h.inbound_flight_id)
                is distinct from (select array_agg(x order by x) from unnest(h.inbound_seats) x)) as bad_live_holds,
      -- an ended hold has no seats; a confirmed one points at its booking
      (select count(*)::int from seat_holds h
        where h.status <> 'active' and exists (select 1 from seats s where s.hold_id = h.id)) as ended_holds_with_seats,
      (select count(*)::int from seat_holds h
        where h.status = 'confirmed' and not exists (select 1 from bookings b where b.id = h.booking_id)) as confirmed_without_booking,
      -- a held seat belongs to its hold's user and flights
      (select count(*)::int from seats s join seat_holds h on h.id = s.hold_id
        where s.user_id <> h.user_id or s.flight_id not in (h.outbound_flight_id, h.inbound_flight_id)) as stray_held_seats`);
  assert.deepEqual(row, {
    bad_bookings: 0, bad_live_holds: 0, ended_holds_with_seats: 0, confirmed_without_booking: 0, stray_held_seats: 0,
  }, 'database invariants');
}
