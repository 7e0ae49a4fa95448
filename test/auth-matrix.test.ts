/**
 * Who may do what, with AUTH_MODE=jwt: every operation x every kind of caller gives its documented
 * status (each response is also checked against the OpenAPI document), and nothing of another
 * customer's booking is read, changed or disclosed.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { RunningServer } from '../src/server.ts';
import { SPEC_EXAMPLE, query, startApi } from './helpers/api.ts';
import { accessToken, bearer, jwtAuth } from './helpers/auth.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { callApi } from './helpers/contract.ts';

const OWNER = 1;
const OTHER = 2;
const ADMIN = 3;

type Caller = 'no token' | 'bad signature' | 'expired' | 'wrong audience' | 'other customer' | 'owner' | 'admin';
const CALLERS: Caller[] = ['no token', 'bad signature', 'expired', 'wrong audience', 'other customer', 'owner', 'admin'];

async function headersFor(caller: Caller): Promise<Record<string, string>> {
  switch (caller) {
    case 'no token': return {};
    case 'bad signature': return bearer(await accessToken(OWNER, { secret: 'another-key-of-someone-else-0123456789' }));
    case 'expired': return bearer(await accessToken(OWNER, { expiresIn: -60 }));
    case 'wrong audience': return bearer(await accessToken(OWNER, { audience: 'another-api' }));
    case 'other customer': return bearer(await accessToken(OTHER));
    case 'owner': return bearer(await accessToken(OWNER));
    case 'admin': return bearer(await accessToken(ADMIN, { role: 'admin' }));
  }
}

const INVALID = { 'no token': 401, 'bad signature': 401, expired: 401, 'wrong audience': 401 } as const;

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

/** A booking of the owner's, made in SQL, on the first free seats of BKJT123 07/04 and BKJT234 08/04. */
async function ownersBooking(): Promise<string> {
  const [{ outbound, inbound }] = await query(url, `select
    (select min(s) from unnest(available_seats((select id from flights where flight_number = 'BKJT123' and flight_date = '2025-04-07'))) s) as outbound,
    (select min(s) from unnest(available_seats((select id from flights where flight_number = 'BKJT234' and flight_date = '2025-04-08'))) s) as inbound`);
  const [row] = await query(url, `select booking_id from book_round_trip('BKJT123', '2025-04-07', $1, 'BKJT234', '2025-04-08', $2, $3)`,
    [outbound, inbound, OWNER]);
  return row.booking_id;
}

async function bookingStatus(bookingId: string): Promise<string> {
  const [row] = await query(url, 'select status from bookings where id = $1', [bookingId]);
  return row.status;
}

describe('every operation x every caller (AUTH_MODE=jwt)', () => {
  it('POST /api/flight/booking for the owner: other customer 403, owner and admin 201', async () => {
    const expected: Record<Caller, number> = { ...INVALID, 'other customer': 403, owner: 201, admin: 201 };
    const seats: Partial<Record<Caller, [number, number]>> = { owner: [5, 3], admin: [6, 4] };
    for (const caller of CALLERS) {
      const [outboundSeat, inboundSeat] = seats[caller] ?? [7, 7];
      const body = { ...SPEC_EXAMPLE, outboundSeat, inboundSeat, userId: OWNER };
      const response = await callApi(api.url, 'POST', '/api/flight/booking', { body, headers: await headersFor(caller) });
      assert.equal(response.status, expected[caller], `${caller}: ${JSON.stringify(response.body)}`);
      if (response.status === 401) assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    const booked = await query(url, 'select user_id, outbound_seat from bookings order by outbound_seat');
    assert.deepEqual(booked.map((b) => [b.user_id, b.outbound_seat]), [[OWNER, 5], [OWNER, 6]], 'only the owner\'s and the admin\'s');
  });

  it('POST /api/flight/booking without userId books for the caller', async () => {
    const { userId: _, ...withoutUser } = SPEC_EXAMPLE;
    const response = await callApi(api.url, 'POST', '/api/flight/booking', { body: withoutUser, headers: await headersFor('other customer') });
    assert.equal(response.status, 201);
    const [row] = await query(url, 'select user_id from bookings where id = $1', [response.body.bookingId]);
    assert.equal(row.user_id, OTHER);
  });

  it('GET /api/bookings/{id}: another customer gets the 404 of an unknown booking', async () => {
    const bookingId = await ownersBooking();
    const expected: Record<Caller, number> = { ...INVALID, 'other customer': 404, owner: 200, admin: 200 };
    for (const caller of CALLERS) {
      const response = await callApi(api.url, 'GET', `/api/bookings/${bookingId}`, { headers: await headersFor(caller) });
      assert.equal(response.status, expected[caller], caller);
      if (caller === 'other customer') {
        const unknown = await callApi(api.url, 'GET', '/api/bookings/00000000-0000-4000-8000-000000000000', { headers: await headersFor(caller) });
        assert.deepEqual(response.body, { ...unknown.body, message: unknown.body.message.replace('00000000-0000-4000-8000-000000000000', bookingId) },
          'the same answer as for a booking that does not exist');
      }
      if (response.status === 200) assert.equal(response.body.userId, OWNER);
    }
  });

  it('DELETE /api/flight/booking/{id}: another customer gets 404 and the booking stands', async () => {
    const expected: Record<Caller, number> = { ...INVALID, 'other customer': 404, owner: 200, admin: 200 };
    const untouched = await ownersBooking(); // refused callers change nothing, so one booking serves them all
    for (const caller of CALLERS) {
      const bookingId = expected[caller] === 200 ? await ownersBooking() : untouched;
      const response = await callApi(api.url, 'DELETE', `/api/flight/booking/${bookingId}`, { headers: await headersFor(caller) });
      assert.equal(response.status, expected[caller], caller);
      assert.equal(await bookingStatus(bookingId), response.status === 200 ? 'cancelled' : 'confirmed', caller);
    }
  });

  it('GET /api/users/{id}/itineraries: another customer gets 403, for existing and unknown users alike', async () => {
    await ownersBooking();
    const expected: Record<Caller, number> = { ...INVALID, 'other customer': 403, owner: 200, admin: 200 };
    for (const caller of CALLERS) {
      const response = await callApi(api.url, 'GET', `/api/users/${OWNER}/itineraries`, { headers: await headersFor(caller) });
      assert.equal(response.status, expected[caller], caller);
      if (response.status === 200) assert.equal(response.body.total, 1);
    }
    const unknownUser = await callApi(api.url, 'GET', '/api/users/999/itineraries', { headers: await headersFor('other customer') });
    assert.equal(unknownUser.status, 403, 'the same answer whether the user exists or not');
    const asAdmin = await callApi(api.url, 'GET', '/api/users/999/itineraries', { headers: await headersFor('admin') });
    assert.equal(asAdmin.status, 404);
  });

  for (const path of ['/api/flights?date=07/04/2025', '/api/flights/seats?flightNumber=BKJT123&date=07/04/2025']) {
    it(`GET ${path.split('?')[0]} is public; an invalid token is still refused`, async () => {
      const expected: Record<Caller, number> = { 'no token': 200, 'bad signature': 401, expired: 401, 'wrong audience': 401,
        'other customer': 200, owner: 200, admin: 200 };
      for (const caller of CALLERS) {
        const response = await callApi(api.url, 'GET', path, { headers: await headersFor(caller) });
        assert.equal(response.status, expected[caller], caller);
      }
    });
  }

  it('POST /api/auth/* ignore the Authorization header: an expired token does not stop a refresh', async () => {
    for (const caller of CALLERS) {
      const response = await callApi(api.url, 'POST', '/api/auth/refresh', { body: { refreshToken: 'not-a-token' }, headers: await headersFor(caller) });
      assert.equal(response.status, 401, caller);
      assert.equal(response.body.error, 'invalid_refresh_token', caller);
    }
  });

  it('a customer token cannot claim admin by its userId, and a token of an unknown role is refused', async () => {
    const unknownRole = bearer(await accessToken(OWNER, { role: 'superuser' }));
    const response = await callApi(api.url, 'GET', `/api/users/${OWNER}/itineraries`, { headers: unknownRole });
    assert.equal(response.status, 401);
    const wrongIssuer = bearer(await accessToken(OWNER, { issuer: 'someone-else' }));
    assert.equal((await callApi(api.url, 'GET', `/api/users/${OWNER}/itineraries`, { headers: wrongIssuer })).status, 401);
    const notBearer = { authorization: 'Basic dXNlcjpwYXNz' };
    assert.equal((await callApi(api.url, 'GET', `/api/users/${OWNER}/itineraries`, { headers: notBearer })).status, 401);
  });
});

describe('holds (AUTH_MODE=jwt): a hold is its caller\'s', () => {
  const holdBody = {
    outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', outboundSeats: [5],
    inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025', inboundSeats: [3],
  };
  const holdStatus = async (holdId: string) => (await query(url, 'select status from seat_holds where id = $1', [holdId]))[0].status;

  it('placing: no token 401, naming another user 403, without userId the hold is the caller\'s', async () => {
    assert.equal((await callApi(api.url, 'POST', '/api/flight/holds', { body: holdBody })).status, 401);
    const named = await callApi(api.url, 'POST', '/api/flight/holds', { body: { ...holdBody, userId: OWNER }, headers: await headersFor('other customer') });
    assert.equal(named.status, 403);
    const placed = await callApi(api.url, 'POST', '/api/flight/holds', { body: holdBody, headers: await headersFor('owner') });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const [row] = await query(url, 'select user_id from seat_holds where id = $1', [placed.body.holdId]);
    assert.equal(row.user_id, OWNER);
    assert.equal(await query(url, 'select count(*)::int as n from seat_holds').then((r) => r[0].n), 1, 'the refused requests held nothing');
  });

  it('another customer\'s confirm and release are 404 and change nothing; the owner confirms; an admin releases any hold', async () => {
    const placed = await callApi(api.url, 'POST', '/api/flight/holds', { body: holdBody, headers: await headersFor('owner') });
    const { holdId } = placed.body;
    for (const caller of ['no token', 'other customer'] as const) {
      const confirm = await callApi(api.url, 'POST', `/api/flight/holds/${holdId}/confirm`, { body: {}, headers: await headersFor(caller) });
      const release = await callApi(api.url, 'DELETE', `/api/flight/holds/${holdId}`, { headers: await headersFor(caller) });
      const expected = caller === 'no token' ? 401 : 404;
      assert.deepEqual([confirm.status, release.status], [expected, expected], `${caller}: ${JSON.stringify([confirm.body, release.body])}`);
      if (expected === 404) assert.equal(confirm.body.error, 'hold_not_found');
    }
    assert.equal(await holdStatus(holdId), 'active');
    const confirmed = await callApi(api.url, 'POST', `/api/flight/holds/${holdId}/confirm`, { body: {}, headers: await headersFor('owner') });
    assert.equal(confirmed.status, 201, JSON.stringify(confirmed.body));
    const [booking] = await query(url, 'select user_id from bookings where id = $1', [confirmed.body.bookingId]);
    assert.equal(booking.user_id, OWNER);

    const second = await callApi(api.url, 'POST', '/api/flight/holds', { body: { ...holdBody, outboundSeats: [6], inboundSeats: [4] }, headers: await headersFor('owner') });
    const released = await callApi(api.url, 'DELETE', `/api/flight/holds/${second.body.holdId}`, { headers: await headersFor('admin') });
    assert.equal(released.status, 204);
    assert.equal(await holdStatus(second.body.holdId), 'released');
  });
});
