-- Cancels a round trip: frees both seats and marks the booking cancelled, in one transaction.
--
--   select * from cancel_booking('3b0b8a9e-8a43-4d5e-9b61-1f3f0c2a7c11');
--   -- one row: booking_id, status ('cancelled'), cancelled_at
--
-- Errors (SQLSTATE, message for people, DETAIL as JSON for programs):
--   BJ004 invalid request     'booking id is required'                  detail {"field"}
--   BJ005 booking not found   'Booking <id> not found'                  detail {"bookingId"}
--   BJ006 already cancelled   'Booking <id> is already cancelled'       detail {"bookingId","cancelledAt"}
--
-- The booking row stays, with status 'cancelled' and cancelled_at set: history is never deleted.
-- Both seats go in one DELETE, so the seat trigger (seat_notifications.sql) sends one seats_updated per
-- flight, naming the released seat. The two flights are locked first, lowest id first, exactly as
-- book_round_trip locks them: a cancellation and a booking of the same flights run one after the other
-- and cannot deadlock. The booking row is then locked and its status read again under those locks, so of
-- two concurrent cancellations of one booking, one succeeds and the other gets BJ006.

create or replace function cancel_booking(p_booking_id uuid)
returns table (booking_id uuid, status text, cancelled_at timestamptz)
language plpgsql
security definer -- runs as the owner: the API role may call it but not write the tables itself
set search_path = pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  v_booking bookings;
begin
  if p_booking_id is null then
    raise exception using errcode = 'BJ004', message = 'booking id is required',
      detail = json_build_object('field', 'bookingId')::text;
  end if;

  select * into v_booking from bookings b where b.id = p_booking_id;
  if not found then
    raise exception using errcode = 'BJ005', message = format('Booking %s not found', p_booking_id),
      detail = json_build_object('bookingId', p_booking_id)::text;
  end if;

  perform 1 from flights f
   where f.id in (v_booking.outbound_flight_id, v_booking.inbound_flight_id)
   order by f.id
     for no key update;

  select * into v_booking from bookings b where b.id = p_booking_id for no key update;
  if v_booking.status = 'cancelled' then
    raise exception using errcode = 'BJ006', message = format('Booking %s is already cancelled', p_booking_id),
      detail = json_build_object('bookingId', p_booking_id, 'cancelledAt', v_booking.cancelled_at)::text;
  end if;

  update bookings b set status = 'cancelled', cancelled_at = now()
   where b.id = p_booking_id
  returning * into v_booking;

  -- One statement for both seats: the notify trigger runs once for the cancellation.
  delete from seats s where s.booking_id = p_booking_id;

  return query select v_booking.id, v_booking.status, v_booking.cancelled_at;
end;
$$;
