/**
 * Seat holds and party bookings through HTTP and SQL, against a real PostgreSQL: the contract, who may
 * confirm or release, expiry, the races, and the database invariants after every test.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import pg from 'pg';
import {
  SPEC_EXAMPLE, SPEC_INBOUND_LEG, SPEC_OUTBOUND_LEG, listenForSeatChanges, postBooking, query, sqlError, startApi, takenSeats,
} from './helpers/api.ts';
import { assertMatchesContract } from './helpers/contract.ts';
import { assertSeatInvariants } from './helpers/invariants.ts';
import { freshApiPerTest } from './helpers/setup.ts';
import { connectSocket, waitForEvent } from './helpers/sockets.ts';

const state = freshApiPerTest();
afterEach(async () => { await assertSeatInvariants(state.databaseUrl); });

const HOLD = {
  outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', outboundSeats: [5],
  inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025', inboundSeats: [3], userId: 1,
};

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, base = state.api.url) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const result = { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  assertMatchesContract(method, path, result);
  return result;
}
const hold = (body: unknown = HOLD, headers?: Record<string, string>, base?: string) => call('POST', '/api/flight/holds', body, headers, base);
const confirm = (holdId: string, userId = 1, base?: string) => call('POST', `/api/flight/holds/${holdId}/confirm`, { userId }, {}, base);
const release = (holdId: string, userId = 1) => call('DELETE', `/api/flight/holds/${holdId}?userId=${userId}`);
/** Polls a database condition (the sweeper runs on its own clock); fails after 5 s. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, 'condition not reached within 5 s');
    await query(state.databaseUrl, 'select pg_sleep(0.05)');
  }
}
const seatMap = (flightNumber: string, date: string) => call('GET', `/api/flights/seats?flightNumber=${flightNumber}&date=${date}`);

describe('a hold', () => {
  it('answers holdId and expiresAt; its seats are held, not available, in seat maps', async () => {
    const before = Date.now();
    const { status, body } = await hold();
    assert.equal(status, 201);
    assert.match(body.holdId, /^[0-9a-f-]{36}$/);
    const ttl = Date.parse(body.expiresAt) - before;
    assert.ok(ttl > 290_000 && ttl < 310_000, `expiresAt ${body.expiresAt} is about 300 s away`);
    assert.deepEqual({ outbound: body.outbound, inbound: body.inbound }, {
      outbound: { flightNumber: 'BKJT123', date: '07/04/2025', seats: [5] },
      inbound: { flightNumber: 'BKJT234', date: '08/04/2025', seats: [3] },
    });
    const map = (await seatMap('BKJT123', '07/04/2025')).body;
    assert.deepEqual([map.availableSeats, map.heldSeats], [[1, 2, 6, 7], [5]]);
    assert.deepEqual((await seatMap('BKJT234', '08/04/2025')).body.heldSeats, [3]);
  });

  it('makes its seats unavailable to others: a booking of one is a 409 naming it held, another hold too', async () => {
    await hold();
    const booking = await postBooking(state.api.url, { ...SPEC_EXAMPLE, userId: 2 });
    assert.equal(booking.status, 409);
    assert.deepEqual(booking.body, {
      error: 'seat_unavailable', message: 'Seat 5 on flight BKJT123 (07/04/2025) is held by another customer',
      availableSeats: [1, 2, 6, 7],
    });
    const second = await hold({ ...HOLD, userId: 2 });
    assert.equal(second.status, 409);
    assert.equal(second.body.error, 'seat_unavailable');
    assert.deepEqual(second.body.unavailableSeats, [
      { leg: 'outbound', flightNumber: 'BKJT123', date: '07/04/2025', seat: 5, held: true },
      { leg: 'inbound', flightNumber: 'BKJT234', date: '08/04/2025', seat: 3, held: true },
    ]);
  });

  it('confirm answers the 201 of a direct booking; a second confirm replays it; release is then a 409', async () => {
    const { body: held } = await hold();
    const confirmed = await confirm(held.holdId);
    assert.equal(confirmed.status, 201);
    assert.deepEqual({ ...confirmed.body, bookingId: undefined }, {
      bookingId: undefined, status: 'confirmed',
      outbound: { ...SPEC_OUTBOUND_LEG, seat: 5, seats: [5] },
      inbound: { ...SPEC_INBOUND_LEG, seat: 3, seats: [3] },
    });
    assert.equal(confirmed.headers.get('location'), `/api/bookings/${confirmed.body.bookingId}`);
    const direct = await postBooking(state.api.url, { ...HOLD, outboundSeats: [6], inboundSeats: [4] });
    assert.deepEqual(Object.keys(direct.body).sort(), Object.keys(confirmed.body).sort());

    const again = await confirm(held.holdId);
    assert.equal(again.status, 201);
    assert.equal(again.body.bookingId, confirmed.body.bookingId);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal((await query(state.databaseUrl, 'select count(*)::int as n from bookings'))[0].n, 2);

    const map = (await seatMap('BKJT123', '07/04/2025')).body;
    assert.deepEqual([map.availableSeats, map.heldSeats], [[1, 2, 7], []]);
    const late = await release(held.holdId);
    assert.equal(late.status, 409);
    assert.equal(late.body.error, 'hold_confirmed');
    const booking = await call('GET', `/api/bookings/${confirmed.body.bookingId}`);
    assert.deepEqual([booking.body.userId, booking.body.outbound.seat, booking.body.inbound.seat], [1, 5, 3]);
  });

  it('release frees the seats at once (204); a released hold cannot be confirmed (410); releasing again is a 204', async () => {
    const { body: held } = await hold();
    assert.equal((await release(held.holdId)).status, 204);
    assert.deepEqual((await seatMap('BKJT123', '07/04/2025')).body.heldSeats, []);
    assert.equal((await postBooking(state.api.url, { ...SPEC_EXAMPLE, userId: 2 })).status, 201);
    const late = await confirm(held.holdId);
    assert.deepEqual([late.status, late.body.error], [410, 'hold_released']);
    assert.equal((await release(held.holdId)).status, 204);
  });

  it("someone else's hold: 403 to confirm or release (the open mode); an unknown one: 404", async () => {
    const { body: held } = await hold();
    for (const response of [await confirm(held.holdId, 2), await release(held.holdId, 2)]) {
      assert.deepEqual([response.status, response.body.error], [403, 'hold_forbidden']);
    }
    assert.deepEqual((await seatMap('BKJT123', '07/04/2025')).body.heldSeats, [5]);
    const unknown = '9d3c1f7a-2b4e-4c8d-a1f0-6e5b7c8d9e0f';
    assert.deepEqual([(await confirm(unknown)).body.error, (await release(unknown)).status], ['hold_not_found', 404]);
    assert.equal((await confirm('not-a-uuid')).status, 400);
    assert.equal((await call('POST', `/api/flight/holds/${held.holdId}/confirm`, {})).status, 400);
  });

  it('refuses malformed holds with a 400 naming the field, and unknown flights and users with a 404', async () => {
    const cases: [unknown, string][] = [
      [{ ...HOLD, inboundSeats: [3, 4] }, 'inboundSeats'],
      [{ ...HOLD, outboundSeats: [] }, 'outboundSeats'],
      [{ ...HOLD, outboundSeats: [5, 5], inboundSeats: [3, 4] }, 'outboundSeats'],
      [{ ...HOLD, outboundSeats: [1, 2, 5, 6, 7], inboundSeats: [1, 2, 3, 4, 5] }, 'outboundSeats'],
      [{ ...HOLD, outboundSeats: [101] }, 'outboundSeats.0'],
      [{ ...HOLD, outboundSeats: [9] }, 'outboundSeats'], // beyond the 8-seat jet: the database's rule
      [{ ...HOLD, outboundSeat: 5 }, 'outboundSeat'],
      [{ ...HOLD, passengerNames: ['A', 'B'] }, 'passengerNames'],
      [{ ...HOLD, inboundDate: '06/04/2025' }, 'inboundDate'],
    ];
    for (const [body, field] of cases) {
      const response = await hold(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.ok(response.body.details.some((d: { field: string }) => d.field === field), `${field}: ${JSON.stringify(response.body.details)}`);
    }
    assert.equal((await hold({ ...HOLD, outboundFlightNumber: 'XX1' })).body.error, 'flight_not_found');
    assert.equal((await hold({ ...HOLD, userId: 4242 })).body.error, 'user_not_found');
    assert.deepEqual(await query(state.databaseUrl, 'select id from seat_holds'), []);
  });

  it('Idempotency-Key: a retry replays the hold; the same key with another body is a 422', async () => {
    const key = { 'Idempotency-Key': 'hold-attempt-1' };
    const first = await hold(HOLD, key);
    const retry = await hold(HOLD, key);
    assert.deepEqual([retry.status, retry.body, retry.headers.get('idempotent-replayed')], [201, first.body, 'true']);
    assert.equal((await hold({ ...HOLD, outboundSeats: [6] }, key)).status, 422);
    // The same body on the booking endpoint is another request.
    assert.equal((await postBooking(state.api.url, HOLD, { headers: { 'content-type': 'application/json', ...key } })).status, 422);
    assert.equal((await query(state.databaseUrl, 'select count(*)::int as n from seat_holds'))[0].n, 1);
  });

  it('X-Socket-Id: the socket gets hold_created, booking_confirmed and hold_released', async () => {
    const socket = await connectSocket(state.api.url);
    try {
      const headers = { 'X-Socket-Id': socket.socket.id! };
      const { body: held } = await hold(HOLD, headers);
      assert.equal((await waitForEvent(socket, 'hold_created')).holdId, held.holdId);
      const confirmed = await call('POST', `/api/flight/holds/${held.holdId}/confirm`, { userId: 1 }, headers);
      assert.deepEqual(await waitForEvent(socket, 'booking_confirmed'), {
        bookingId: confirmed.body.bookingId,
        outbound: { flightNumber: 'BKJT123', seat: 5, seats: [5] }, inbound: { flightNumber: 'BKJT234', seat: 3, seats: [3] },
      });
      const { body: second } = await hold({ ...HOLD, outboundSeats: [6], inboundSeats: [4] }, headers);
      await call('DELETE', `/api/flight/holds/${second.holdId}?userId=1`, undefined, headers);
      assert.equal((await waitForEvent(socket, 'hold_released')).holdId, second.holdId);
      await hold(HOLD, headers);
      assert.equal((await waitForEvent(socket, 'booking_failed')).reason, 'seat_unavailable');
    } finally {
      socket.close();
    }
  });

  it('metrics count holds, confirms and releases by outcome', async () => {
    const { body: held } = await hold();
    await hold();
    await confirm(held.holdId);
    const text = await (await fetch(`${state.api.url}/metrics`)).text();
    assert.match(text, /blackjet_hold_operations_total\{operation="hold",outcome="held"\} 1/);
    assert.match(text, /blackjet_hold_operations_total\{operation="hold",outcome="seat_unavailable"\} 1/);
    assert.match(text, /blackjet_hold_operations_total\{operation="confirm",outcome="confirmed"\} 1/);
  });
});

describe('expiry', () => {
  it('an expired hold cannot be confirmed (410) and never blocks a booking, even before the sweeper ran', async () => {
    // No sweeper can run meanwhile: this session holds the lock expire_holds() takes.
    const blocker = new pg.Client({ connectionString: state.databaseUrl });
    await blocker.connect();
    await blocker.query("select pg_advisory_lock(hashtext('blackjet.expire_holds'))");
    const api = await startApi(state.databaseUrl, { holdTtlSeconds: 1 });
    try {
      const { body: held } = await hold(HOLD, {}, api.url);
      await query(state.databaseUrl, "update seat_holds set expires_at = clock_timestamp() - interval '1 ms'");
      const late = await confirm(held.holdId, 1, api.url);
      assert.deepEqual([late.status, late.body.error], [410, 'hold_expired']);
      assert.equal((await postBooking(api.url, { ...SPEC_EXAMPLE, userId: 2 })).status, 201);
      // The booking freed only what it needed; the sweeper ends the hold and frees the rest.
      assert.deepEqual(await takenSeats(state.databaseUrl, 'BKJT234', '2025-04-08'), [1, 3, 6]);
      assert.equal((await query(state.databaseUrl, 'select expire_holds() as n'))[0].n, 0, 'the sweeper waits its turn');
      await blocker.query("select pg_advisory_unlock(hashtext('blackjet.expire_holds'))");
      // This call or an API's sweeper, whichever comes first, ends it (a sweeper may hold the lock right now).
      await query(state.databaseUrl, 'select expire_holds() as n');
      await until(async () => (await query(state.databaseUrl, 'select status from seat_holds'))[0].status === 'expired');
      assert.deepEqual(await takenSeats(state.databaseUrl, 'BKJT234', '2025-04-08'), [1, 3, 6]);
    } finally {
      await blocker.end();
      await api.close();
    }
  });

  it('confirm racing expiry: a booking or a 410, never both, never a seat lost', async () => {
    const seats = [[1, 2], [2, 4], [5, 5], [6, 7], [7, 8]] as const;
    const holds: { holdId: string }[] = [];
    for (const [out, back] of seats) holds.push((await hold({ ...HOLD, outboundSeats: [out], inboundSeats: [back] })).body);
    // Each hold's time runs out a few milliseconds from now, while its confirmation and sweepers race.
    await query(state.databaseUrl, "update seat_holds set expires_at = clock_timestamp() + (random() * interval '30 ms')");
    const sweeps = Array.from({ length: 6 }, () => query(state.databaseUrl, 'select expire_holds()'));
    const answers = await Promise.all(holds.map((h) => confirm(h.holdId)));
    await Promise.all(sweeps);
    await query(state.databaseUrl, 'select expire_holds()');
    for (const [i, answer] of answers.entries()) {
      assert.ok(answer.status === 201 || answer.status === 410, `status ${answer.status}`);
      const [row] = await query(state.databaseUrl, 'select status, booking_id from seat_holds where id = $1', [holds[i]!.holdId]);
      const seatRows = await query(state.databaseUrl, 'select booking_id, hold_id from seats where hold_id = $1 or booking_id = $2',
        [holds[i]!.holdId, row.booking_id]);
      if (answer.status === 201) {
        assert.deepEqual([row.status, row.booking_id], ['confirmed', answer.body.bookingId]);
        assert.equal(seatRows.length, 2);
      } else {
        assert.equal(row.status, 'expired');
        assert.equal(seatRows.length, 0);
      }
    }
    assert.deepEqual((await seatMap('BKJT123', '07/04/2025')).body.heldSeats, []);
  });
});

describe('races', () => {
  it('ten clients hold the same seat: exactly one hold', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => hold({
      outboundFlightNumber: 'BKJT999', outboundDate: '01/05/2025', outboundSeats: [8],
      inboundFlightNumber: 'BKJT321', inboundDate: '09/05/2025', inboundSeats: [[1, 3, 4, 5, 6, 8][i % 6]!], userId: i + 1,
    })));
    assert.deepEqual(responses.map((r) => r.status).sort(), [201, ...Array(9).fill(409)]);
    assert.equal((await query(state.databaseUrl, 'select count(*)::int as n from seat_holds'))[0].n, 1);
    const [row] = await query(state.databaseUrl, `select count(*)::int as n from seats s join flights f on f.id = s.flight_id
      where f.flight_number = 'BKJT999' and s.seat_number = 8`);
    assert.equal(row.n, 1);
  });

  it('a hold racing a direct booking for the same seat, five times over: exactly one wins each', async () => {
    const outcomes = await Promise.all([1, 2, 5, 6, 7].map(async (seat, i) => {
      const [held, booked] = await Promise.all([
        hold({ ...HOLD, outboundSeats: [seat], inboundSeats: [[2, 4, 5, 7, 8][i]!], userId: 1 }),
        postBooking(state.api.url, { ...SPEC_EXAMPLE, outboundSeat: seat, inboundSeat: [8, 7, 5, 4, 2][i]!, userId: 2 }),
      ]);
      return [held.status, booked.status].sort().join();
    }));
    assert.deepEqual(outcomes, Array(5).fill('201,409'));
    assert.deepEqual(await takenSeats(state.databaseUrl, 'BKJT123', '2025-04-07'), [1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('party bookings', () => {
  const PARTY = {
    outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', outboundSeats: [5, 6, 7],
    inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025', inboundSeats: [2, 4, 5], userId: 1,
    passengerNames: ['Ada Lovelace', null, 'Grace Hopper'],
  };

  it('books every seat in one request, with one notification per flight and the names kept', async () => {
    const listener = await listenForSeatChanges(state.databaseUrl);
    try {
      const { status, body } = await postBooking(state.api.url, PARTY);
      assert.equal(status, 201);
      assert.deepEqual({ ...body, bookingId: undefined }, {
        bookingId: undefined, status: 'confirmed',
        outbound: { ...SPEC_OUTBOUND_LEG, seat: 5, seats: [5, 6, 7] },
        inbound: { ...SPEC_INBOUND_LEG, seat: 2, seats: [2, 4, 5] },
      });
      const events = await listener.drain();
      assert.deepEqual(events.map((e) => [e.flightNumber, e.availableSeats, e.lastBookedSeat]).sort(), [
        ['BKJT123', [1, 2], 7], ['BKJT234', [3, 7, 8], 5],
      ]);
      assert.deepEqual(await query(state.databaseUrl, 'select passenger, outbound_seat, inbound_seat, name from booking_passengers order by 1'), [
        { passenger: 1, outbound_seat: 5, inbound_seat: 2, name: 'Ada Lovelace' },
        { passenger: 2, outbound_seat: 6, inbound_seat: 4, name: null },
        { passenger: 3, outbound_seat: 7, inbound_seat: 5, name: 'Grace Hopper' },
      ]);
      // Cancelling frees the whole party.
      assert.equal((await call('DELETE', `/api/flight/booking/${body.bookingId}`)).status, 200);
      assert.deepEqual(await takenSeats(state.databaseUrl, 'BKJT123', '2025-04-07'), [3, 4, 8]);
    } finally {
      await listener.close();
    }
  });

  it('all or none: a 409 names every seat not free, books nothing and announces nothing', async () => {
    const { body: held } = await hold({ ...HOLD, outboundSeats: [6], inboundSeats: [4], userId: 2 });
    assert.ok(held.holdId);
    const listener = await listenForSeatChanges(state.databaseUrl);
    try {
      const { status, body } = await postBooking(state.api.url, { ...PARTY, outboundSeats: [4, 5, 6], inboundSeats: [2, 4, 5] });
      assert.equal(status, 409);
      assert.equal(body.message, 'Not available: seats 4, 6 (held) on flight BKJT123 (07/04/2025); seat 4 (held) on flight BKJT234 (08/04/2025)');
      assert.deepEqual(body.availableSeats, [1, 2, 5, 7]);
      assert.deepEqual(body.unavailableSeats.map((u: { leg: string; seat: number; held: boolean }) => [u.leg, u.seat, u.held]), [
        ['outbound', 4, false], ['outbound', 6, true], ['inbound', 4, true],
      ]);
      assert.deepEqual(await listener.drain(), []);
      assert.equal((await query(state.databaseUrl, 'select count(*)::int as n from bookings'))[0].n, 0);
    } finally {
      await listener.close();
    }
  });

  it('keeps the single-seat request as it is, and refuses mixing the two forms', async () => {
    assert.equal((await postBooking(state.api.url, SPEC_EXAMPLE)).body.outbound.seats, undefined);
    const mixed = await postBooking(state.api.url, { ...SPEC_EXAMPLE, outboundSeats: [6], inboundSeats: [4] });
    assert.equal(mixed.status, 400);
    const missing = await postBooking(state.api.url, { ...SPEC_EXAMPLE, inboundSeat: undefined });
    assert.deepEqual(missing.body.details, [{ field: 'inboundSeat', message: "must have required property 'inboundSeat'" }]);
  });

  it('Idempotency-Key: a retried party booking replays its 201', async () => {
    const headers = { 'content-type': 'application/json', 'Idempotency-Key': 'party-1' };
    const first = await postBooking(state.api.url, PARTY, { headers });
    const retry = await postBooking(state.api.url, PARTY, { headers });
    assert.deepEqual([retry.status, retry.body, retry.headers.get('idempotent-replayed')], [201, first.body, 'true']);
    assert.equal((await query(state.databaseUrl, 'select count(*)::int as n from bookings'))[0].n, 1);
  });
});

describe('from psql', () => {
  it('hold_seats, confirm_hold, release_hold with their own SQLSTATEs', async () => {
    const url = state.databaseUrl;
    const [held] = await query(url, `select * from hold_seats(outbound_flight_number => 'BKJT123', outbound_date => '2025-04-07',
      outbound_seats => array[5], inbound_flight_number => 'BKJT234', inbound_date => '2025-04-08', inbound_seats => array[3],
      user_id => 1)`);
    assert.ok(held.expires_at > held.created_at);
    assert.equal((await sqlError(url, 'select * from confirm_hold($1, user_id => 2)', [held.hold_id])).code, 'BJ022');
    const [booked] = await query(url, 'select * from confirm_hold($1, user_id => 1)', [held.hold_id]);
    assert.deepEqual([booked.status, booked.replayed, booked.outbound_seats, booked.inbound_flight_number], ['confirmed', false, [5], 'BKJT234']);
    assert.equal((await sqlError(url, 'select * from release_hold($1)', [held.hold_id])).code, 'BJ024');
    assert.equal((await sqlError(url, "select * from confirm_hold('9d3c1f7a-2b4e-4c8d-a1f0-6e5b7c8d9e0f')")).code, 'BJ020');
    const e = await sqlError(url, `select * from book_round_trip(outbound_flight_number => 'BKJT123', outbound_date => '2025-04-07',
      outbound_seat => 5, inbound_flight_number => 'BKJT234', inbound_date => '2025-04-08', inbound_seat => 4, user_id => 2)`);
    assert.equal(e.code, 'BJ001');
    const bad = await sqlError(url, `select * from book_seats(outbound_flight_number => 'BKJT123', outbound_date => '2025-04-07',
      outbound_seats => array[1, 2], inbound_flight_number => 'BKJT234', inbound_date => '2025-04-08', inbound_seats => array[4], user_id => 2)`);
    assert.equal(bad.code, 'BJ004');
  });
});
