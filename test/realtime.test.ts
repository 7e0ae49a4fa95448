/**
 * Live seat maps over Socket.IO, against a real server, real socket.io-client connections and a real
 * PostgreSQL: snapshots, updates in both namespaces, the race, bad input, the cap, booking results.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunningServer } from '../src/server.ts';
import { SPEC_EXAMPLE, postBooking, query, startApi, takenSeats } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import {
  MARKER, NAMESPACES, connectSocket, passMarker, subscribe, waitForEvent, type RecordedSocket,
} from './helpers/sockets.ts';

let cluster: TestCluster;
let url: string;
let api: RunningServer;
const sockets: RecordedSocket[] = [];

before(async () => { cluster = await startTestCluster(); });
beforeEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await api?.close();
  url = await cluster.freshDatabase();
  api = await startApi(url);
});
after(async () => {
  for (const s of sockets.splice(0)) s.close();
  await api?.close();
  await cluster.stop();
});

async function watcher(namespace: string, server = api, ...flights: [string, string][]): Promise<RecordedSocket> {
  const recorded = await connectSocket(server.url, namespace);
  sockets.push(recorded);
  for (const [flightNumber, date] of [[MARKER.flightNumber, MARKER.date] as [string, string], ...flights]) {
    const reply = await subscribe(recorded, flightNumber, date);
    assert.equal(reply.error, undefined, JSON.stringify(reply));
  }
  return recorded;
}

describe('snapshot and updates', () => {
  it('the spec example: snapshot [1,2,5,6,7], then booking seat 5 gives one seats_updated [1,2,6,7] on both namespaces', async () => {
    const watchers = await Promise.all(NAMESPACES.map((ns) => watcher(ns, api, ['BKJT123', '07/04/2025'])));
    for (const w of watchers) {
      const snapshot = await waitForEvent(w, 'seats_snapshot', (p) => p.flightNumber === 'BKJT123');
      assert.deepEqual({ ...snapshot, timestamp: undefined, version: undefined }, {
        flightNumber: 'BKJT123', date: '07/04/2025', availableSeats: [1, 2, 5, 6, 7], heldSeats: [], totalSeats: 8,
        timestamp: undefined, version: undefined,
        // Extra to the spec: the flight's route, local times, fare and status.
        origin: 'LAX', destination: 'SFO', originTimeZone: 'America/Los_Angeles', destinationTimeZone: 'America/Los_Angeles',
        departureTime: '2025-04-07T09:00:00-07:00', arrivalTime: '2025-04-07T10:25:00-07:00', fare: 199, status: 'scheduled',
      });
      assert.match(snapshot.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      assert.equal(typeof snapshot.version, 'number');
    }

    assert.equal((await postBooking(api.url, SPEC_EXAMPLE)).status, 201);
    await passMarker(url, watchers);
    for (const w of watchers) {
      const updates = w.updates('BKJT123', '07/04/2025');
      assert.equal(updates.length, 1);
      assert.deepEqual(updates[0].availableSeats, [1, 2, 6, 7]);
      assert.equal(updates[0].lastBookedSeat, 5);
      assert.equal(updates[0].version, w.events.find((e) => e.name === 'seats_snapshot' && e.payload.flightNumber === 'BKJT123')!.payload.version + 1);
      assert.match(updates[0].timestamp, /Z$/);
    }
  });

  it('the acknowledgement of subscribe carries the snapshot', async () => {
    const recorded = await connectSocket(api.url);
    sockets.push(recorded);
    const reply = await subscribe(recorded, 'BKJT999', '01/05/2025');
    assert.deepEqual(reply.availableSeats, [8]);
    assert.equal(reply.totalSeats, 8);
  });

  it('subscribing twice is harmless: still one update per change', async () => {
    const w = await watcher('/', api, ['BKJT123', '07/04/2025'], ['BKJT123', '07/04/2025']);
    assert.equal(api.gateway.counts().subscriptions, 2); // marker + BKJT123
    await postBooking(api.url, SPEC_EXAMPLE);
    await passMarker(url, [w]);
    assert.equal(w.updates('BKJT123', '07/04/2025').length, 1);
  });

  it('unsubscribe stops updates; unsubscribing a flight never subscribed is harmless', async () => {
    const w = await watcher('/flights', api, ['BKJT123', '07/04/2025']);
    assert.deepEqual(await w.socket.emitWithAck('unsubscribe', { flightNumber: 'BKJT777', date: '01/01/2025' }), { ok: true });
    assert.deepEqual(await w.socket.emitWithAck('unsubscribe', { flightNumber: 'BKJT123', date: '07/04/2025' }), { ok: true });
    await postBooking(api.url, SPEC_EXAMPLE);
    await passMarker(url, [w]);
    assert.equal(w.updates('BKJT123', '07/04/2025').length, 0);
    assert.ok(w.socket.connected);
  });

  it('a DELETE by hand sends seats_updated with the released seat', async () => {
    const w = await watcher('/', api, ['BKJT123', '07/04/2025']);
    await query(url, `delete from seats where seat_number = 4
      and flight_id = (select id from flights where flight_number = 'BKJT123' and flight_date = '2025-04-07')`);
    await passMarker(url, [w]);
    const [update] = w.updates('BKJT123', '07/04/2025');
    assert.deepEqual([update.availableSeats, update.lastBookedSeat, update.releasedSeat], [[1, 2, 4, 5, 6, 7], null, 4]);
  });
});

describe('malformed notifications', () => {
  it('are logged and dropped; the relay carries on', async () => {
    const w = await watcher('/', api, ['BKJT123', '07/04/2025']);
    // Seat 101 is beyond any flight's capacity (1-100).
    for (const payload of ['not json', '{"flightNumber":"BKJT123"}', '{"flightNumber":"BKJT123","date":"07/04/2025","availableSeats":[101],"lastBookedSeat":null,"releasedSeat":null,"version":1,"timestamp":"x"}']) {
      await query(url, `select pg_notify('seats_updated', $1), pg_notify('booking_results', $1)`, [payload]);
    }
    await postBooking(api.url, SPEC_EXAMPLE);
    await passMarker(url, [w]);
    assert.equal(api.listener.stats.dropped, 6);
    assert.deepEqual(w.updates('BKJT123', '07/04/2025').map((u) => u.availableSeats), [[1, 2, 6, 7]]);
  });
});

describe('the race for BKJT999 seat 8, watched on both namespaces', () => {
  it('each subscriber sees exactly one seats_updated, the flight full; losers\' inbound flights see nothing', async () => {
    // Ten requests, each with its own inbound flight and a seat free on it.
    const inbound: [string, string, number][] = [
      ['BKJT432', '02/05/2025', 2], ['BKJT765', '05/05/2025', 1], ['BKJT321', '09/05/2025', 1],
      ['BKJT654', '13/05/2025', 2], ['BKJT987', '17/05/2025', 1], ['BKJT234', '21/05/2025', 2],
      ['BKJT876', '25/05/2025', 1], ['BKJT543', '30/05/2025', 2], ['BKJT789', '03/06/2025', 1],
      ['BKJT345', '07/06/2025', 2],
    ];
    const flights: [string, string][] = [['BKJT999', '01/05/2025'], ...inbound.map(([f, d]) => [f, d] as [string, string])];
    const watchers = await Promise.all(NAMESPACES.map((ns) => watcher(ns, api, ...flights)));

    const responses = await Promise.all(inbound.map(([flightNumber, date, seat], i) => postBooking(api.url, {
      outboundFlightNumber: 'BKJT999', outboundDate: '01/05/2025', outboundSeat: 8,
      inboundFlightNumber: flightNumber, inboundDate: date, inboundSeat: seat, userId: i + 1,
    })));
    assert.deepEqual(responses.map((r) => r.status).sort(), [201, ...Array(9).fill(409)]);
    const winner = inbound[responses.findIndex((r) => r.status === 201)]!;

    await passMarker(url, watchers);
    for (const w of watchers) {
      const race = w.updates('BKJT999', '01/05/2025');
      assert.equal(race.length, 1);
      assert.deepEqual(race[0].availableSeats, []);
      for (const [flightNumber, date] of inbound) {
        assert.equal(w.updates(flightNumber, date).length, flightNumber === winner[0] ? 1 : 0, flightNumber);
      }
    }
    assert.deepEqual(await takenSeats(url, 'BKJT999', '2025-05-01'), [1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('bad subscriptions', () => {
  const bad: [string, unknown][] = [
    ['a string', 'BKJT123'], ['a number', 42], ['null', null], ['an array', ['BKJT123', '07/04/2025']],
    ['a missing date', { flightNumber: 'BKJT123' }], ['a numeric flight number', { flightNumber: 123, date: '07/04/2025' }],
    ['an ISO date', { flightNumber: 'BKJT123', date: '2025-04-07' }], ['an impossible date', { flightNumber: 'BKJT123', date: '31/02/2025' }],
    ['a lowercase flight number', { flightNumber: 'bkjt123', date: '07/04/2025' }],
    ['an oversized flight number', { flightNumber: 'X'.repeat(5000), date: '07/04/2025' }],
  ];
  for (const [what, payload] of bad) {
    it(`${what}: error validation_error, no room, still connected`, async () => {
      const recorded = await connectSocket(api.url, '/flights');
      sockets.push(recorded);
      const reply = await recorded.socket.emitWithAck('subscribe', payload);
      assert.equal(reply.error, 'validation_error');
      const event = await waitForEvent(recorded, 'error');
      assert.equal(event.error, 'validation_error');
      assert.equal(typeof event.message, 'string');
      assert.equal(api.gateway.counts().subscriptions, 0);
      assert.ok(recorded.socket.connected);
    });
  }

  it('a subscribe without acknowledgement still gets the error event', async () => {
    const recorded = await connectSocket(api.url);
    sockets.push(recorded);
    recorded.socket.emit('subscribe', { flightNumber: 'BKJT123' });
    assert.equal((await waitForEvent(recorded, 'error')).error, 'validation_error');
  });

  it('an unknown flight: error flight_not_found, no room', async () => {
    const recorded = await connectSocket(api.url);
    sockets.push(recorded);
    const reply = await subscribe(recorded, 'BKJT123', '08/04/2025');
    assert.deepEqual(reply, { error: 'flight_not_found', message: 'Flight BKJT123 on 08/04/2025 not found' });
    assert.equal((await waitForEvent(recorded, 'error')).error, 'flight_not_found');
    assert.equal(api.gateway.counts().subscriptions, 0);
    assert.ok(recorded.socket.connected);
  });

  it('the subscription cap: a clear error past it, existing subscriptions unaffected', async () => {
    const capped = await startApi(url, {}, { maxSubscriptionsPerSocket: 3 });
    try {
      const recorded = await connectSocket(capped.url);
      sockets.push(recorded);
      for (const [f, d] of [['BKJT456', '07/04/2025'], ['BKJT234', '09/04/2025'], ['BKJT789', '12/04/2025']]) {
        assert.equal((await subscribe(recorded, f!, d!)).error, undefined);
      }
      const refused = await subscribe(recorded, 'BKJT345', '15/04/2025');
      assert.equal(refused.error, 'too_many_subscriptions');
      assert.match(refused.message, /at most 3 flights/);
      assert.equal((await subscribe(recorded, 'BKJT456', '07/04/2025')).error, undefined, 're-subscribing is not a new one');
      await recorded.socket.emitWithAck('unsubscribe', { flightNumber: 'BKJT456', date: '07/04/2025' });
      assert.equal((await subscribe(recorded, 'BKJT345', '15/04/2025')).error, undefined);
      assert.equal(capped.gateway.counts().subscriptions, 3);
    } finally {
      await capped.close();
    }
  });
});

describe('booking results on the socket (X-Socket-Id)', () => {
  it('booking_confirmed and booking_failed reach the socket, even on another instance', async () => {
    const other = await startApi(url);
    try {
      const recorded = await connectSocket(other.url, '/flights');
      sockets.push(recorded);
      const headers = { 'content-type': 'application/json', 'x-socket-id': recorded.socket.id! };

      const booked = await postBooking(api.url, SPEC_EXAMPLE, { headers });
      assert.equal(booked.status, 201);
      assert.deepEqual(await waitForEvent(recorded, 'booking_confirmed'), {
        bookingId: booked.body.bookingId,
        outbound: { flightNumber: 'BKJT123', seat: 5 },
        inbound: { flightNumber: 'BKJT234', seat: 3 },
      });

      const refused = await postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat: 6, inboundSeat: 3 }, { headers });
      assert.equal(refused.status, 409);
      assert.deepEqual(await waitForEvent(recorded, 'booking_failed'), {
        reason: 'seat_unavailable',
        message: 'Seat 3 on flight BKJT234 (08/04/2025) is no longer available',
        conflictingSeat: { flightNumber: 'BKJT234', seat: 3 },
        availableSeats: [2, 4, 5, 7, 8],
      });
    } finally {
      await other.close();
    }
  });

  it('a malformed X-Socket-Id is a 400, and books nothing', async () => {
    const response = await postBooking(api.url, SPEC_EXAMPLE, { headers: { 'content-type': 'application/json', 'x-socket-id': 'no spaces allowed' } });
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'validation_error');
    assert.deepEqual(await query(url, 'select id from bookings'), []);
  });
});
