/**
 * Flight management over real HTTP and from SQL: create one flight or a batch, change times, cancel.
 * Cancelling a flight with live subscribers and bookings: no seat of a cancelled booking stays taken,
 * every subscriber's last view equals the database, and each booking's owner hears of it on their socket.
 * With identity on (AUTH_MODE=jwt), only admins manage flights, and signed-in sockets hear of their own bookings.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { SeatMapClient } from '../src/client/seatMapClient.ts';
import type { RunningServer } from '../src/server.ts';
import { SPEC_EXAMPLE, postBooking, query, sqlError, startApi } from './helpers/api.ts';
import { accessToken, bearer, jwtAuth } from './helpers/auth.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { assertValidationError, callApi } from './helpers/contract.ts';
import { freshApiPerTest } from './helpers/setup.ts';
import { allMatchDatabase, connectSocket, untilClients, waitForEvent } from './helpers/sockets.ts';

const t = freshApiPerTest();
const call = (method: string, path: string, body?: unknown) => callApi(t.api.url, method, path, { body });

const NEW_FLIGHT = {
  flightNumber: 'BJ500', date: '02/03/2026', origin: 'LAX', destination: 'JFK',
  departureTime: '2026-03-02T08:00:00-08:00', arrivalTime: '2026-03-02T16:30:00-05:00', fare: 640,
};

describe('POST /api/flights', () => {
  it('201 with the flight in local times (8 seats by default); the same number that date again is 409', async () => {
    const created = await call('POST', '/api/flights', NEW_FLIGHT);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body, {
      flightNumber: 'BJ500', date: '02/03/2026', origin: 'LAX', destination: 'JFK',
      departureTime: '2026-03-02T08:00:00-08:00', arrivalTime: '2026-03-02T16:30:00-05:00',
      originTimeZone: 'America/Los_Angeles', destinationTimeZone: 'America/New_York',
      fare: 640, status: 'scheduled', totalSeats: 8, availableSeats: [1, 2, 3, 4, 5, 6, 7, 8],
    });
    const again = await call('POST', '/api/flights', { ...NEW_FLIGHT, origin: 'SFO' });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, { error: 'flight_exists', message: 'Flight BJ500 already flies on 02/03/2026' });
    const search = await call('GET', '/api/flights?origin=LAX&destination=JFK');
    assert.deepEqual(search.body.items.map((f: any) => f.flightNumber), ['BJ500']);
  });

  it('a capacity up to 100 flows through: seat 12 of a 12-seat flight books, seat 13 is a 400, the seat map has 12', async () => {
    await call('POST', '/api/flights', { ...NEW_FLIGHT, capacity: 12 });
    await call('POST', '/api/flights', { ...NEW_FLIGHT, flightNumber: 'BJ501', origin: 'JFK', destination: 'LAX',
      departureTime: '2026-03-03T09:00:00-05:00', arrivalTime: '2026-03-03T12:30:00-08:00', date: '03/03/2026', capacity: 100 });
    const trip = { ...SPEC_EXAMPLE, outboundFlightNumber: 'BJ500', outboundDate: '02/03/2026', inboundFlightNumber: 'BJ501', inboundDate: '03/03/2026' };
    const booked = await postBooking(t.api.url, { ...trip, outboundSeat: 12, inboundSeat: 100 });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    assert.equal(booked.body.outbound.origin, 'LAX');
    const beyond = await postBooking(t.api.url, { ...trip, outboundSeat: 13, inboundSeat: 1 });
    assertValidationError(beyond, 'outboundSeat');
    assert.equal(beyond.body.message, 'outbound_seat 13 is not between 1 and 12');
    const map = await call('GET', '/api/flights/seats?flightNumber=BJ500&date=02/03/2026');
    assert.deepEqual([map.body.totalSeats, map.body.availableSeats.length], [12, 11]);
    // The standard jet keeps its 8 seats: seat 9 on a CSV flight is still a 400.
    assertValidationError(await postBooking(t.api.url, { ...SPEC_EXAMPLE, outboundSeat: 9 }), 'outboundSeat');
  });

  it('400s name the field: unknown airport, a departure not on the date locally, arrival before departure, capacity 101', async () => {
    for (const [change, field] of [
      [{ origin: 'XYZ' }, 'origin'], [{ departureTime: '2026-03-03T09:00:00Z', arrivalTime: '2026-03-03T15:00:00Z' }, 'departureTime'],
      [{ arrivalTime: '2026-03-02T07:00:00-08:00' }, 'arrivalTime'], [{ capacity: 101 }, 'capacity'],
      [{ destination: 'LAX' }, 'destination'], [{ date: '30/02/2026' }, 'date'],
    ] as const) {
      assertValidationError(await call('POST', '/api/flights', { ...NEW_FLIGHT, ...change }), field);
    }
    assert.equal((await query(t.databaseUrl, "select count(*)::int as n from flights where flight_number = 'BJ500'"))[0].n, 0);
  });

  it('a batch is created whole or not at all; the error names the flight', async () => {
    const second = { ...NEW_FLIGHT, flightNumber: 'BJ501', origin: 'JFK', destination: 'LAX',
      departureTime: '2026-03-02T18:00:00-05:00', arrivalTime: '2026-03-02T21:15:00-08:00' };
    const bad = await call('POST', '/api/flights/batch', { flights: [NEW_FLIGHT, { ...second, destination: 'QQQ' }] });
    assertValidationError(bad, 'flights[1].destination');
    assert.equal((await query(t.databaseUrl, "select count(*)::int as n from flights where flight_number like 'BJ50%'"))[0].n, 0);
    const good = await call('POST', '/api/flights/batch', { flights: [NEW_FLIGHT, second] });
    assert.equal(good.status, 201);
    assert.deepEqual(good.body.items.map((f: any) => f.flightNumber), ['BJ500', 'BJ501']);
  });

  it('from psql: create_flight raises BJ008, BJ009 and BJ004 with readable messages', async () => {
    const create = `select * from create_flight('BJ600', '2026-03-02', $1, 'JFK', '2026-03-02 08:00 America/Los_Angeles',
      '2026-03-02 16:30 America/New_York', 500)`;
    const [row] = await query(t.databaseUrl, create, ['LAX']);
    assert.equal(row.total_seats, 8);
    assert.equal((await sqlError(t.databaseUrl, create, ['LAX'])).code, 'BJ008');
    const unknown = await sqlError(t.databaseUrl, create, ['XYZ']);
    assert.deepEqual([unknown.code, unknown.message], ['BJ009', 'Airport XYZ not found']);
    const local = await sqlError(t.databaseUrl, `update flights set departure_at = departure_at + interval '1 day'
      where flight_number = 'BJ600'`);
    assert.equal(local.code, 'BJ004');
  });
});

describe('PATCH /api/flights/times', () => {
  it('moves the flight, shows the new local times, and tells its booking owners', async () => {
    const owner = await connectSocket(t.api.url);
    try {
      assert.deepEqual(await owner.socket.emitWithAck('watch_user', { userId: 1 }), { ok: true });
      const booked = await postBooking(t.api.url, SPEC_EXAMPLE);
      const changed = await call('PATCH', '/api/flights/times', {
        flightNumber: 'BKJT123', date: '07/04/2025', departureTime: '2025-04-07T17:30:00Z', arrivalTime: '2025-04-07T19:00:00Z',
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.deepEqual([changed.body.departureTime, changed.body.arrivalTime], ['2025-04-07T10:30:00-07:00', '2025-04-07T12:00:00-07:00']);
      const told = await waitForEvent(owner, 'flight_times_changed');
      assert.equal(told.bookingId, booked.body.bookingId);
      assert.equal(told.flight.departureTime, '2025-04-07T10:30:00-07:00');
      const booking = await call('GET', `/api/bookings/${booked.body.bookingId}`);
      assert.equal(booking.body.outbound.departureTime, '2025-04-07T10:30:00-07:00');
      // Another local day is refused; an unknown flight is a 404.
      assertValidationError(await call('PATCH', '/api/flights/times', {
        flightNumber: 'BKJT123', date: '07/04/2025', departureTime: '2025-04-08T17:30:00Z', arrivalTime: '2025-04-08T19:00:00Z',
      }), 'departureTime');
      assert.equal((await call('PATCH', '/api/flights/times', {
        flightNumber: 'BKJT000', date: '07/04/2025', departureTime: '2025-04-07T17:30:00Z', arrivalTime: '2025-04-07T19:00:00Z',
      })).status, 404);
    } finally {
      owner.close();
    }
  });
});

describe('POST /api/flights/cancellation', () => {
  it('cancels every booking on the flight whole; subscribers end equal to the database; owners are told', async () => {
    // Two round trips use BKJT234: one as its inbound leg, one as its outbound leg.
    const first = await postBooking(t.api.url, SPEC_EXAMPLE); // BKJT123 07/04 seat 5 -> BKJT234 08/04 seat 3
    const second = await postBooking(t.api.url, {
      ...SPEC_EXAMPLE, outboundFlightNumber: 'BKJT234', outboundDate: '08/04/2025', outboundSeat: 2,
      inboundFlightNumber: 'BKJT789', inboundDate: '12/04/2025', inboundSeat: 2, userId: 2,
    });
    assert.deepEqual([first.status, second.status], [201, 201], JSON.stringify(second.body));
    const flights = [['BKJT123', '07/04/2025', '2025-04-07'], ['BKJT234', '08/04/2025', '2025-04-08'], ['BKJT789', '12/04/2025', '2025-04-12']] as const;
    const clients = [new SeatMapClient(t.api.url), new SeatMapClient(`${t.api.url}/flights`)];
    const owners = await Promise.all([connectSocket(t.api.url), connectSocket(`${t.api.url}/flights`)]);
    try {
      for (const client of clients) for (const [flightNumber, date] of flights) await client.subscribe({ flightNumber, date });
      await owners[0]!.socket.emitWithAck('watch_user', { userId: 1 });
      await owners[1]!.socket.emitWithAck('watch_user', { userId: 2 });

      const cancelled = await call('POST', '/api/flights/cancellation', { flightNumber: 'BKJT234', date: '08/04/2025' });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal(cancelled.body.cancelledBookings, 2);
      assert.equal(cancelled.body.flight.status, 'cancelled');
      assert.deepEqual(cancelled.body.flight.availableSeats, [1, 2, 3, 4, 5, 6, 7, 8]);

      // No seat of a cancelled booking is taken; both bookings are cancelled whole.
      const [{ taken }] = await query(t.databaseUrl, `select count(*)::int as taken from seats s
        join bookings b on b.id = s.booking_id where b.status = 'cancelled'`);
      assert.equal(taken, 0);
      const statuses = await query(t.databaseUrl, 'select status from bookings where id = any($1::uuid[])',
        [[first.body.bookingId, second.body.bookingId]]);
      assert.deepEqual(statuses.map((r) => r.status), ['cancelled', 'cancelled']);

      await untilClients(clients, () => allMatchDatabase(t.databaseUrl, clients, flights));
      const toFirst = await waitForEvent(owners[0]!, 'booking_cancelled');
      const toSecond = await waitForEvent(owners[1]!, 'booking_cancelled');
      assert.deepEqual([toFirst.bookingId, toFirst.reason, toFirst.cancelledFlight], [first.body.bookingId, 'flight_cancelled', { flightNumber: 'BKJT234', date: '08/04/2025' }]);
      assert.equal(toSecond.bookingId, second.body.bookingId);
      assert.ok(!owners[0]!.events.some((e) => e.name === 'booking_cancelled' && e.payload.bookingId === second.body.bookingId),
        'a user hears only of their own bookings');

      // The flight is sold no more, and cancelling it again is a 409.
      const rebook = await postBooking(t.api.url, SPEC_EXAMPLE);
      assert.deepEqual([rebook.status, rebook.body.error], [409, 'flight_cancelled']);
      const twice = await call('POST', '/api/flights/cancellation', { flightNumber: 'BKJT234', date: '08/04/2025' });
      assert.deepEqual([twice.status, twice.body.error], [409, 'flight_cancelled']);
      assert.equal((await call('POST', '/api/flights/cancellation', { flightNumber: 'BKJT000', date: '08/04/2025' })).status, 404);
    } finally {
      for (const client of clients) client.close();
      for (const owner of owners) owner.close();
    }
  });

  it('ends the active holds on the flight: their seats on both flights are freed and confirming is a 410', async () => {
    const held = await call('POST', '/api/flight/holds', {
      outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', outboundSeats: [1, 2],
      inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025', inboundSeats: [7, 8], userId: 1,
    });
    assert.equal(held.status, 201, JSON.stringify(held.body));
    const cancelled = await call('POST', '/api/flights/cancellation', { flightNumber: 'BKJT234', date: '08/04/2025' });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    const rows = await query(t.databaseUrl, `select h.status, (select count(*)::int from seats s where s.hold_id = h.id) as seats
      from seat_holds h where h.id = $1`, [held.body.holdId]);
    assert.deepEqual(rows, [{ status: 'released', seats: 0 }]);
    const outbound = await call('GET', '/api/flights/seats?flightNumber=BKJT123&date=07/04/2025');
    assert.deepEqual([outbound.body.heldSeats, outbound.body.availableSeats.slice(0, 2)], [[], [1, 2]]);
    const confirmed = await call('POST', `/api/flight/holds/${held.body.holdId}/confirm`, { userId: 1 });
    assert.deepEqual([confirmed.status, confirmed.body.error], [410, 'hold_released']);
  });
});

describe('who may manage flights (AUTH_MODE=jwt)', () => {
  let cluster: TestCluster;
  let url: string;
  let api: RunningServer;
  before(async () => { cluster = await startTestCluster(); });
  beforeEach(async () => {
    url = await cluster.freshDatabase();
    api = await startApi(url, {}, { auth: jwtAuth() });
  });
  afterEach(async () => { await api.close(); });
  after(async () => { await cluster.stop(); });

  const OPERATIONS = [
    ['POST', '/api/flights', NEW_FLIGHT, 201],
    ['POST', '/api/flights/batch', { flights: [{ ...NEW_FLIGHT, flightNumber: 'BJ501' }] }, 201],
    ['PATCH', '/api/flights/times', {
      flightNumber: 'BKJT123', date: '07/04/2025', departureTime: '2025-04-07T17:30:00Z', arrivalTime: '2025-04-07T19:00:00Z',
    }, 200],
    ['POST', '/api/flights/cancellation', { flightNumber: 'BKJT789', date: '12/04/2025' }, 200],
  ] as const;

  /** What management can change: the flights, their times and status, and the seats. */
  const flightState = async () => query(url, `select flight_number, flight_date::text, departure_at::text, status,
    (select count(*)::int from seats s where s.flight_id = f.id) as taken from flights f order by id`);

  it('no token is 401 and a customer 403, changing nothing; an admin does each', async () => {
    const before = await flightState();
    const customer = bearer(await accessToken(1));
    for (const [method, path, body] of OPERATIONS) {
      const anonymous = await callApi(api.url, method, path, { body });
      assert.equal(anonymous.status, 401, `${method} ${path}: ${JSON.stringify(anonymous.body)}`);
      assert.equal(anonymous.body.error, 'unauthorized');
      const refused = await callApi(api.url, method, path, { body, headers: customer });
      assert.equal(refused.status, 403, `${method} ${path}: ${JSON.stringify(refused.body)}`);
      assert.deepEqual(refused.body, { error: 'forbidden', message: 'Only an admin may manage flights' });
    }
    assert.deepEqual(await flightState(), before);

    const admin = bearer(await accessToken(3, { role: 'admin' }));
    for (const [method, path, body, status] of OPERATIONS) {
      const done = await callApi(api.url, method, path, { body, headers: admin });
      assert.equal(done.status, status, `${method} ${path}: ${JSON.stringify(done.body)}`);
    }
    const [{ n }] = await query(url, `select count(*)::int as n from flights where flight_number in ('BJ500', 'BJ501')
      or (flight_number = 'BKJT789' and status = 'cancelled')`);
    assert.equal(n, 3);
  });

  it('a signed-in socket hears of its own cancelled booking unasked; watch_user is not an event', async () => {
    const owner = await connectSocket(api.url, '/', { token: await accessToken(1) });
    const other = await connectSocket(api.url, '/', { token: await accessToken(2) });
    try {
      // Asking for user 1's room does nothing with identity on: it is not an event here.
      other.socket.emit('watch_user', { userId: 1 });
      const booked = await callApi(api.url, 'POST', '/api/flight/booking', { body: SPEC_EXAMPLE, headers: bearer(await accessToken(1)) });
      assert.equal(booked.status, 201, JSON.stringify(booked.body));
      const cancelled = await callApi(api.url, 'POST', '/api/flights/cancellation', {
        body: { flightNumber: 'BKJT234', date: '08/04/2025' }, headers: bearer(await accessToken(3, { role: 'admin' })),
      });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      const told = await waitForEvent(owner, 'booking_cancelled');
      assert.deepEqual([told.bookingId, told.reason], [booked.body.bookingId, 'flight_cancelled']);
      // The server emitted to user 1's room before it answers this subscribe on the other socket, in order.
      await other.socket.emitWithAck('subscribe', { flightNumber: 'BKJT123', date: '07/04/2025' });
      assert.ok(!other.events.some((e) => e.name === 'booking_cancelled'), 'another user heard of the booking');
    } finally {
      owner.close();
      other.close();
    }
  });
});
