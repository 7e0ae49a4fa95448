/**
 * Socket.IO with identity (AUTH_MODE=jwt): seat maps stay public; a handshake may carry the access token
 * (a bad one is refused); X-Socket-Id results reach a socket only when it is the booking's user's; the
 * origin check holds on polling and WebSocket alike; a DBA's booking in psql still reaches everyone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { request } from 'undici';
import type { RunningServer } from '../src/server.ts';
import { SPEC_EXAMPLE, query, startApi } from './helpers/api.ts';
import { accessToken, bearer, jwtAuth } from './helpers/auth.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { callApi } from './helpers/contract.ts';
import { MARKER, passMarker, subscribe, waitForEvent, type RecordedSocket } from './helpers/sockets.ts';

const ALLOWED = 'https://app.example.com';
const USER_A = 1;
const USER_B = 2;

let cluster: TestCluster;
let url: string;
let api: RunningServer;
before(async () => {
  cluster = await startTestCluster();
  url = await cluster.freshDatabase();
  api = await startApi(url, { corsOrigins: [ALLOWED] }, { auth: jwtAuth() });
});
after(async () => {
  await api.close();
  await cluster.stop();
});

/** A connected socket with every event recorded; `auth.token` when given. */
async function connect(options: { token?: string; origin?: string; transports?: string[] } = {}): Promise<RecordedSocket> {
  const socket: Socket = io(api.url, {
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    ...(options.token ? { auth: { token: options.token } } : {}),
    ...(options.origin ? { extraHeaders: { origin: options.origin } } : {}),
  });
  const events: { name: string; payload: any }[] = [];
  socket.onAny((name: string, payload: unknown) => events.push({ name, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (e) => { socket.close(); reject(e); });
  });
  return {
    socket, events, close: () => { socket.close(); },
    updates: (flightNumber, date) => events.filter((e) => e.name === 'seats_updated' && e.payload.flightNumber === flightNumber
      && e.payload.date === date).map((e) => e.payload),
  };
}

async function book(userId: number, seats: [number, number], socketId: string) {
  return callApi(api.url, 'POST', '/api/flight/booking', {
    body: { ...SPEC_EXAMPLE, outboundSeat: seats[0], inboundSeat: seats[1], userId },
    headers: { ...bearer(await accessToken(userId)), 'x-socket-id': socketId },
  });
}

describe('Socket.IO with tokens', () => {
  it('anonymous sockets still watch seat maps; a bad handshake token is refused with unauthorized', async () => {
    const anonymous = await connect();
    try {
      const snapshot = await subscribe(anonymous, 'BKJT123', '07/04/2025');
      assert.deepEqual(snapshot.availableSeats, [1, 2, 5, 6, 7]);
    } finally {
      anonymous.close();
    }
    for (const token of [await accessToken(USER_A, { expiresIn: -60 }), await accessToken(USER_A, { secret: 'not-our-key-0123456789-0123456789' }), 'garbage']) {
      await assert.rejects(connect({ token }), (e: Error & { data?: { error: string } }) => e.data?.error === 'unauthorized');
    }
  });

  it('X-Socket-Id results reach only a socket signed in as the booking\'s user', async () => {
    const a = await connect({ token: await accessToken(USER_A) });
    const b = await connect({ token: await accessToken(USER_B) });
    const anonymous = await connect();
    try {
      // B names A's socket, then the anonymous one: neither may learn of B's booking.
      assert.equal((await book(USER_B, [5, 3], a.socket.id!)).status, 201);
      assert.equal((await book(USER_B, [6, 4], anonymous.socket.id!)).status, 201);
      // Then each books with its own socket: results travel in order, so once these arrive, the others would have.
      const own = await book(USER_A, [7, 5], a.socket.id!);
      assert.equal(own.status, 201);
      const mine = await waitForEvent(a, 'booking_confirmed');
      assert.equal(mine.bookingId, own.body.bookingId);
      const bOwn = await book(USER_B, [1, 7], b.socket.id!);
      await waitForEvent(b, 'booking_confirmed', (p) => p.bookingId === bOwn.body.bookingId);
      assert.deepEqual(a.events.filter((e) => e.name.startsWith('booking_')).map((e) => e.payload.bookingId), [own.body.bookingId]);

      // The anonymous socket: prove its queue is drained with a seat change it watches, after B's result.
      await subscribe(anonymous, MARKER.flightNumber, MARKER.date);
      await passMarker(url, [anonymous]);
      assert.deepEqual(anonymous.events.filter((e) => e.name.startsWith('booking_')), []);
    } finally {
      a.close();
      b.close();
      anonymous.close();
    }
  });

  it('a failed booking is told to its user\'s socket too', async () => {
    const a = await connect({ token: await accessToken(USER_A) });
    try {
      const taken = await book(USER_A, [3, 2], a.socket.id!); // seat 3 of BKJT123 07/04 is taken in the seed
      assert.equal(taken.status, 409);
      const failed = await waitForEvent(a, 'booking_failed');
      assert.equal(failed.reason, 'seat_unavailable');
    } finally {
      a.close();
    }
  });

  it('a booking in psql still reaches every subscriber (DBAs are not affected by identity)', async () => {
    const watcher = await connect({ token: await accessToken(USER_A) });
    try {
      await subscribe(watcher, 'BKJT999', '01/05/2025');
      await query(url, `select * from book_round_trip(outbound_flight_number => 'BKJT999', outbound_date => '2025-05-01',
        outbound_seat => 8, inbound_flight_number => 'BKJT234', inbound_date => '2025-05-21', inbound_seat => 2, user_id => 9)`);
      const update = await waitForEvent(watcher, 'seats_updated', (p) => p.flightNumber === 'BKJT999');
      assert.deepEqual(update.availableSeats, []);
    } finally {
      watcher.close();
    }
  });
});

describe('Socket.IO origin check (CORS_ORIGINS)', () => {
  const pollingHandshake = (origin?: string) => request(`${api.url}/socket.io/?EIO=4&transport=polling`, {
    headers: origin ? { origin } : {},
  });

  it('polling: another origin is refused at the handshake; an allowed one gets its session and CORS headers', async () => {
    const refused = await pollingHandshake('https://evil.example');
    assert.equal(refused.statusCode, 403);
    await refused.body.dump();

    const allowed = await pollingHandshake(ALLOWED);
    assert.equal(allowed.statusCode, 200);
    assert.equal(allowed.headers['access-control-allow-origin'], ALLOWED);
    assert.match(await allowed.body.text(), /^0\{"sid":/);
  });

  it('WebSocket: another origin is refused; an allowed one connects and subscribes', async () => {
    await assert.rejects(connect({ origin: 'https://evil.example' }));
    const allowed = await connect({ origin: ALLOWED });
    try {
      assert.deepEqual((await subscribe(allowed, 'BKJT123', '07/04/2025')).flightNumber, 'BKJT123');
    } finally {
      allowed.close();
    }
  });

  it('clients that send no Origin (servers, scripts) are not browsers and are not affected', async () => {
    const plain = await connect();
    plain.close();
    const handshake = await pollingHandshake();
    assert.equal(handshake.statusCode, 200);
    await handshake.body.dump();
  });
});
