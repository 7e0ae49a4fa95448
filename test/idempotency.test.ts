/**
 * Idempotent retries of POST /api/flight/booking through real HTTP, checked in the database: replays
 * (also after a restart), key reuse, expiry, what is and is not stored, and concurrent duplicates.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPEC_EXAMPLE, postBooking, query, sqlError, startApi } from './helpers/api.ts';
import { assertValidationError, callApi } from './helpers/contract.ts';
import { freshApiPerTest } from './helpers/setup.ts';

const t = freshApiPerTest();
const KEY = '5f0c8b9e-2d7a-4f4b-9d47-1c2e3a4b5c6d';
const withKey = (key: string) => ({ headers: { 'content-type': 'application/json', 'idempotency-key': key } });
const bookWithKey = (body: unknown, key = KEY, baseUrl = t.api.url) => postBooking(baseUrl, body, withKey(key));
const count = async (table: 'bookings' | 'idempotency_keys') =>
  (await query(t.databaseUrl, `select count(*)::int as n from ${table}`))[0].n as number;

describe('Idempotency-Key on POST /api/flight/booking', () => {
  it('the same key and body replays the 201 (status, body, Location), marked, and books once', async () => {
    const first = await bookWithKey(SPEC_EXAMPLE);
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('idempotent-replayed'), null);

    const again = await bookWithKey(SPEC_EXAMPLE);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('location'), first.headers.get('location'));
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(await count('bookings'), 1);
  });

  it('the same body in another key order and spacing is the same request', async () => {
    const first = await bookWithKey(SPEC_EXAMPLE);
    const reordered = Object.fromEntries(Object.entries(SPEC_EXAMPLE).reverse());
    const again = await bookWithKey(JSON.stringify(reordered, null, 2));
    assert.equal(again.status, 201);
    assert.equal(again.body.bookingId, first.body.bookingId);
  });

  it('replays after a restart: the outcome lives in the database', async () => {
    const first = await bookWithKey(SPEC_EXAMPLE);
    await t.api.close();
    t.api = await startApi(t.databaseUrl);
    const again = await bookWithKey(SPEC_EXAMPLE);
    assert.deepEqual([again.status, again.body], [201, first.body]);
    assert.equal(await count('bookings'), 1);
  });

  it('the same key with another body: 422 idempotency_key_reused, nothing booked', async () => {
    await bookWithKey(SPEC_EXAMPLE);
    const other = await bookWithKey({ ...SPEC_EXAMPLE, outboundSeat: 6 });
    assert.equal(other.status, 422);
    assert.deepEqual(other.body, {
      error: 'idempotency_key_reused', message: `Idempotency key ${KEY} was already used for a different request`,
    });
    assert.equal(await count('bookings'), 1);
    assert.equal((await query(t.databaseUrl, `select count(*)::int as n from seats where booking_id is not null`))[0].n, 2);
  });

  it('a refusal by the booking rules (409) is stored and replayed, even once the seat is free again', async () => {
    const holder = await postBooking(t.api.url, SPEC_EXAMPLE);
    const refused = await bookWithKey({ ...SPEC_EXAMPLE, userId: 2 });
    assert.equal(refused.status, 409);
    await callApi(t.api.url, 'DELETE', `/api/flight/booking/${holder.body.bookingId}`);

    const replay = await bookWithKey({ ...SPEC_EXAMPLE, userId: 2 });
    assert.deepEqual([replay.status, replay.body], [409, refused.body]);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    const fresh = await bookWithKey({ ...SPEC_EXAMPLE, userId: 2 }, 'a-new-attempt');
    assert.equal(fresh.status, 201);
  });

  it('404s of the booking rules are stored and replayed too', async () => {
    const first = await bookWithKey({ ...SPEC_EXAMPLE, userId: 4242 });
    const again = await bookWithKey({ ...SPEC_EXAMPLE, userId: 4242 });
    assert.deepEqual([first.status, again.status], [404, 404]);
    assert.deepEqual(again.body, { error: 'user_not_found', message: 'User 4242 not found' });
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
  });

  it('a validation failure (400) is not stored: the key stays free for the corrected request', async () => {
    assertValidationError(await bookWithKey({ ...SPEC_EXAMPLE, outboundSeat: 9 }), 'outboundSeat');
    assertValidationError(await bookWithKey({ ...SPEC_EXAMPLE, inboundDate: '06/04/2025' }), 'inboundDate');
    assert.equal(await count('idempotency_keys'), 0);
    assert.equal((await bookWithKey(SPEC_EXAMPLE)).status, 201);
  });

  for (const [what, key] of [['an empty key', ''], ['a key of 256 characters', 'k'.repeat(256)], ['a key with a space', 'a b']]) {
    it(`400 validation_error for ${what}`, async () => {
      assertValidationError(await bookWithKey(SPEC_EXAMPLE, key), 'idempotency-key');
      assert.equal(await count('bookings'), 0);
    });
  }

  it('an expired key counts as unused; keyed bookings purge expired keys', async () => {
    await bookWithKey(SPEC_EXAMPLE);
    await bookWithKey({ ...SPEC_EXAMPLE, outboundSeat: 6, inboundSeat: 4 }, 'another-key');
    await query(t.databaseUrl, `update idempotency_keys set expires_at = now() - interval '1 second'`);

    const reused = await bookWithKey({ ...SPEC_EXAMPLE, outboundSeat: 7, inboundSeat: 5 });
    assert.equal(reused.status, 201, 'not 422: the old use of the key has expired');
    const keys = await query(t.databaseUrl, 'select key, booking_id from idempotency_keys');
    assert.deepEqual(keys, [{ key: KEY, booking_id: reused.body.bookingId }], 'another-key was purged');
  });

  it('keys live 24 hours', async () => {
    await bookWithKey(SPEC_EXAMPLE);
    const [row] = await query(t.databaseUrl, `select expires_at - created_at = interval '24 hours' as day from idempotency_keys`);
    assert.equal(row.day, true);
  });

  it('twenty simultaneous duplicates: one booking in the database, every answer the same 201', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => bookWithKey(SPEC_EXAMPLE)));
    assert.ok(responses.every((r) => r.status === 201), responses.map((r) => r.status).join(','));
    assert.equal(new Set(responses.map((r) => r.body.bookingId)).size, 1);
    assert.equal(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 19);
    assert.equal(await count('bookings'), 1);
    assert.equal(await count('idempotency_keys'), 1);
  });

  it('twenty simultaneous requests with one key and different bodies: one booking, the rest 422', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => bookWithKey({ ...SPEC_EXAMPLE, userId: i + 1 })));
    assert.deepEqual(responses.map((r) => r.status).sort(), [201, ...Array(19).fill(422)]);
    assert.equal(await count('bookings'), 1);
  });
});

describe('book_round_trip_idempotent() from SQL', () => {
  const CALL = `select * from book_round_trip_idempotent(idempotency_key => $1, request_fingerprint => $2,
    outbound_flight_number => 'BKJT123', outbound_date => '2025-04-07', outbound_seat => $3,
    inbound_flight_number => 'BKJT234', inbound_date => '2025-04-08', inbound_seat => 3, user_id => 1)`;

  it('books, replays, and raises BJ007 for another fingerprint', async () => {
    const [first] = await query(t.databaseUrl, CALL, ['sql-key', 'fp-1', 5]);
    assert.equal(first.replayed, false);
    assert.equal(first.status, 'confirmed');
    const [again] = await query(t.databaseUrl, CALL, ['sql-key', 'fp-1', 5]);
    assert.deepEqual(again, { ...first, replayed: true });
    const reused = await sqlError(t.databaseUrl, CALL, ['sql-key', 'fp-2', 5]);
    assert.equal(reused.code, 'BJ007');
  });

  it('returns a refusal in columns (stored with the key); an invalid request stores nothing', async () => {
    const [refused] = await query(t.databaseUrl, CALL, ['taken', 'fp', 3]);
    assert.deepEqual({ ...refused, refusal_detail: JSON.parse(refused.refusal_detail) }, {
      booking_id: null, status: null, replayed: false, refusal_code: 'BJ001',
      refusal_message: 'Seat 3 on flight BKJT123 (07/04/2025) is no longer available',
      refusal_detail: { leg: 'outbound', flightNumber: 'BKJT123', date: '07/04/2025', seat: 3, availableSeats: [1, 2, 5, 6, 7] },
    });
    assert.equal((await sqlError(t.databaseUrl, CALL, ['invalid', 'fp', 9])).code, 'BJ004');
    assert.deepEqual(await query(t.databaseUrl, 'select key from idempotency_keys order by key'), [{ key: 'taken' }]);
  });
});
