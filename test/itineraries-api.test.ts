/**
 * GET /api/bookings/{bookingId} and GET /api/users/{userId}/itineraries over real HTTP; every response
 * is checked against the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPEC_EXAMPLE, postBooking, SPEC_INBOUND_LEG, SPEC_OUTBOUND_LEG } from './helpers/api.ts';
import { assertValidationError, callApi } from './helpers/contract.ts';
import { freshApiPerTest } from './helpers/setup.ts';

const t = freshApiPerTest();
const get = (path: string) => callApi(t.api.url, 'GET', path);
const UNKNOWN_BOOKING = '00000000-0000-4000-8000-000000000000';

/** Books the outbound seat given on BKJT123 07/04 and a free seat on BKJT234 08/04, for a user. */
async function book(userId: number, outboundSeat: number, inboundSeat: number): Promise<string> {
  const response = await postBooking(t.api.url, { ...SPEC_EXAMPLE, userId, outboundSeat, inboundSeat });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.bookingId;
}

describe('GET /api/bookings/{bookingId}', () => {
  it('the booking with both legs, its user, status and creation time', async () => {
    const before = Date.now();
    const bookingId = await book(1, 5, 3);
    const { status, body } = await get(`/api/bookings/${bookingId}`);
    assert.equal(status, 200);
    assert.deepEqual({ ...body, createdAt: undefined }, {
      bookingId, userId: 1, status: 'confirmed',
      outbound: SPEC_OUTBOUND_LEG,
      inbound: SPEC_INBOUND_LEG,
      createdAt: undefined,
    });
    assert.match(body.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Date.parse(body.createdAt) >= before - 1_000 && Date.parse(body.createdAt) <= Date.now() + 1_000);
  });

  it('the Location of a 201 leads to the booking', async () => {
    const response = await postBooking(t.api.url, SPEC_EXAMPLE);
    const { status, body } = await get(response.headers.get('location')!);
    assert.equal(status, 200);
    assert.equal(body.bookingId, response.body.bookingId);
  });

  it('404 booking_not_found for an unknown id', async () => {
    const { status, body } = await get(`/api/bookings/${UNKNOWN_BOOKING}`);
    assert.equal(status, 404);
    assert.deepEqual(body, { error: 'booking_not_found', message: `Booking ${UNKNOWN_BOOKING} not found` });
  });

  for (const bad of ['not-a-uuid', '123', `${UNKNOWN_BOOKING}0`, `urn:uuid:${UNKNOWN_BOOKING}`, "1' or '1'='1"]) {
    it(`400 validation_error for the id ${JSON.stringify(bad)}`, async () => {
      assertValidationError(await get(`/api/bookings/${encodeURIComponent(bad)}`), 'bookingId');
    });
  }
});

describe('GET /api/users/{userId}/itineraries', () => {
  it('the user\'s bookings, newest first, a page at a time, only theirs', async () => {
    const oldest = await book(2, 1, 2);
    const middle = await book(2, 2, 4);
    const newest = await book(2, 5, 5);
    await book(3, 6, 7);

    const all = await get('/api/users/2/itineraries');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.items.map((b: any) => b.bookingId), [newest, middle, oldest]);
    assert.deepEqual([all.body.page, all.body.limit, all.body.total], [1, 20, 3]);
    assert.ok(all.body.items.every((b: any) => b.userId === 2 && b.status === 'confirmed'));

    const first = await get('/api/users/2/itineraries?limit=2');
    const second = await get('/api/users/2/itineraries?limit=2&page=2');
    assert.deepEqual(first.body.items.map((b: any) => b.bookingId), [newest, middle]);
    assert.deepEqual(second.body.items.map((b: any) => b.bookingId), [oldest]);
    assert.deepEqual([second.body.page, second.body.total], [2, 3]);
  });

  it('a known user without bookings: an empty page', async () => {
    const { status, body } = await get('/api/users/4/itineraries');
    assert.equal(status, 200);
    assert.deepEqual(body, { items: [], page: 1, limit: 20, total: 0 });
  });

  it('404 user_not_found for an unknown user', async () => {
    const { status, body } = await get('/api/users/4242/itineraries');
    assert.equal(status, 404);
    assert.deepEqual(body, { error: 'user_not_found', message: 'User 4242 not found' });
  });

  for (const [what, path, field] of [
    ['a non-numeric user id', '/api/users/abc/itineraries', 'userId'],
    ['user id 0', '/api/users/0/itineraries', 'userId'],
    ['a user id beyond int4', '/api/users/2147483648/itineraries', 'userId'],
    ['a fractional user id', '/api/users/1.5/itineraries', 'userId'],
    ['limit above the maximum', '/api/users/1/itineraries?limit=1000', 'limit'],
    ['an unknown query parameter', '/api/users/1/itineraries?status=cancelled', 'status'],
  ] as const) {
    it(`400 validation_error for ${what}`, async () => {
      assertValidationError(await get(path), field);
    });
  }
});
