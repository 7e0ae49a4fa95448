/**
 * The race, fired truly in parallel through HTTP, checked in the database afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SPEC_EXAMPLE, listenForSeatChanges, postBooking, query, startApi, takenSeats } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';

let cluster: TestCluster;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });

describe('ten requests for the last seat of BKJT999', () => {
  it('exactly one 201, nine exact 409s, one seat row, one notification', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApi(url);
    const listener = await listenForSeatChanges(url);
    try {
      // Ten different users, each with a different free inbound seat, all wanting BKJT999 seat 8.
      const requests = Array.from({ length: 10 }, (_, i) => ({
        outboundFlightNumber: 'BKJT999', outboundDate: '01/05/2025', outboundSeat: 8,
        inboundFlightNumber: 'BKJT321', inboundDate: '09/05/2025', inboundSeat: [1, 3, 4, 5, 6, 8][i % 6]!,
        userId: i + 1,
      }));
      const responses = await Promise.all(requests.map((r) => postBooking(api.url, r)));

      const statuses = responses.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, ...Array(9).fill(409)]);
      for (const loser of responses.filter((r) => r.status === 409)) {
        assert.deepEqual(loser.body, {
          error: 'seat_unavailable',
          message: 'Seat 8 on flight BKJT999 (01/05/2025) is no longer available',
          availableSeats: [],
        });
      }
      const winner = responses.find((r) => r.status === 201)!;
      const rows = await query(url, `select s.user_id, s.booking_id from seats s join flights f on f.id = s.flight_id
                                      where f.flight_number = 'BKJT999' and s.seat_number = 8`);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].booking_id, winner.body.bookingId);
      assert.deepEqual(await takenSeats(url, 'BKJT999', '2025-05-01'), [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.equal((await query(url, 'select count(*)::int as n from bookings'))[0].n, 1);

      const events = await listener.drain();
      assert.deepEqual(events.filter((e) => e.flightNumber === 'BKJT999').map((e) => e.availableSeats), [[]]);
      // Losers' inbound flight changed once, for the winner only.
      assert.equal(events.filter((e) => e.flightNumber === 'BKJT321').length, 1);
    } finally {
      await listener.close();
      await api.close();
    }
  });
});

describe('fifty round trips crossing the same two flights in both directions', () => {
  it('no deadlock, no 500; every success holds both seats, every failure left nothing', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApi(url);
    try {
      // Both fly on 07/04/2025, so A->B and B->A are both valid round trips.
      // BKJT123 (free 1,2,5,6,7) and BKJT456 (free 2,3,5,7,8).
      const a = 'BKJT123';
      const b = 'BKJT456';
      const requests = Array.from({ length: 50 }, (_, i) => {
        const [out, back] = i % 2 === 0 ? [a, b] : [b, a];
        return {
          outboundFlightNumber: out, outboundDate: '07/04/2025', outboundSeat: 1 + (i % 8),
          inboundFlightNumber: back, inboundDate: '07/04/2025', inboundSeat: 1 + ((i * 3) % 8),
          userId: 1 + (i % 20),
        };
      });
      const responses = await Promise.all(requests.map((r) => postBooking(api.url, r)));
      const statuses = responses.map((r) => r.status);
      assert.ok(statuses.every((s) => s === 201 || s === 409), `unexpected statuses ${statuses}`);

      const bookings = await query(url, `
        select b.id, fo.flight_number as out_no, b.outbound_seat, fi.flight_number as in_no, b.inbound_seat,
               (select count(*)::int from seats s where s.booking_id = b.id) as seat_rows
          from bookings b join flights fo on fo.id = b.outbound_flight_id join flights fi on fi.id = b.inbound_flight_id`);
      const succeeded = responses.filter((r) => r.status === 201);
      assert.equal(bookings.length, succeeded.length);
      assert.ok(bookings.every((b) => b.seat_rows === 2), 'every booking holds both seats');
      assert.equal((await query(url, 'select count(*)::int as n from seats where booking_id is not null'))[0].n, 2 * succeeded.length);
      assert.ok(succeeded.length > 0);
    } finally {
      await api.close();
    }
  });
});
