/**
 * POST /api/flight/booking through real HTTP against a real PostgreSQL: the spec example, atomicity,
 * and every row of the error table.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunningServer } from '../src/server.ts';
import { SPEC_EXAMPLE, postBooking, query, startApi, takenSeats, SPEC_INBOUND_LEG, SPEC_OUTBOUND_LEG } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';

let cluster: TestCluster;
let databaseUrl: string;
let api: RunningServer;

before(async () => { cluster = await startTestCluster(); });
beforeEach(async () => {
  await api?.close();
  databaseUrl = await cluster.freshDatabase();
  api = await startApi(databaseUrl);
});
after(async () => {
  await api?.close();
  await cluster.stop();
});

const assertErrorBody = (body: any, error: string) => {
  assert.equal(body.error, error);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0);
};

describe('the spec example', () => {
  it('books with 201, then the same request is the exact 409', async () => {
    const first = await postBooking(api.url, SPEC_EXAMPLE);
    assert.equal(first.status, 201);
    assert.match(first.body.bookingId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual({ ...first.body, bookingId: 'x' }, {
      bookingId: 'x', status: 'confirmed',
      outbound: SPEC_OUTBOUND_LEG,
      inbound: SPEC_INBOUND_LEG,
    });

    const again = await postBooking(api.url, SPEC_EXAMPLE);
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, {
      error: 'seat_unavailable',
      message: 'Seat 5 on flight BKJT123 (07/04/2025) is no longer available',
      availableSeats: [1, 2, 6, 7],
    });

    const [booking] = await query(databaseUrl, 'select user_id, status, outbound_seat, inbound_seat from bookings where id = $1', [first.body.bookingId]);
    assert.deepEqual(booking, { user_id: 1, status: 'confirmed', outbound_seat: 5, inbound_seat: 3 });
    assert.deepEqual(await takenSeats(databaseUrl, 'BKJT123', '2025-04-07'), [3, 4, 5, 8]);
    assert.deepEqual(await takenSeats(databaseUrl, 'BKJT234', '2025-04-08'), [1, 3, 6]);
  });
});

describe('atomicity', () => {
  it('free outbound + taken inbound: 409 naming the inbound leg, outbound still free', async () => {
    const response = await postBooking(api.url, { ...SPEC_EXAMPLE, inboundSeat: 6 });
    assert.equal(response.status, 409);
    assert.deepEqual(response.body, {
      error: 'seat_unavailable',
      message: 'Seat 6 on flight BKJT234 (08/04/2025) is no longer available',
      availableSeats: [2, 3, 4, 5, 7, 8],
    });
    assert.deepEqual(await takenSeats(databaseUrl, 'BKJT123', '2025-04-07'), [3, 4, 8]);
    assert.deepEqual(await query(databaseUrl, 'select id from bookings'), []);
  });

  it('both legs taken: the message names the outbound leg', async () => {
    const response = await postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat: 3, inboundSeat: 6 });
    assert.equal(response.status, 409);
    assert.equal(response.body.message, 'Seat 3 on flight BKJT123 (07/04/2025) is no longer available');
    assert.deepEqual(response.body.availableSeats, [1, 2, 5, 6, 7]);
  });
});

describe('the error table, through HTTP', () => {
  const invalid: [string, unknown, string][] = [
    ['a missing field', (({ userId: _, ...rest }) => rest)(SPEC_EXAMPLE), 'userId'],
    ['an extra field', { ...SPEC_EXAMPLE, coupon: 'FREE' }, 'coupon'],
    ['a mistyped seat', { ...SPEC_EXAMPLE, outboundSeat: '5' }, 'outboundSeat'],
    ['a fractional seat', { ...SPEC_EXAMPLE, outboundSeat: 5.5 }, 'outboundSeat'],
    ['seat 0', { ...SPEC_EXAMPLE, outboundSeat: 0 }, 'outboundSeat'],
    ['seat 9', { ...SPEC_EXAMPLE, inboundSeat: 9 }, 'inboundSeat'],
    ['a date in the wrong format', { ...SPEC_EXAMPLE, outboundDate: '2025-04-07' }, 'outboundDate'],
    ['an impossible date', { ...SPEC_EXAMPLE, outboundDate: '31/04/2025' }, 'outboundDate'],
    ['29 February of a common year', { ...SPEC_EXAMPLE, inboundDate: '29/02/2026' }, 'inboundDate'],
    ['inbound before outbound', { ...SPEC_EXAMPLE, inboundDate: '06/04/2025' }, 'inboundDate'],
    ['both legs the same flight', { ...SPEC_EXAMPLE, inboundFlightNumber: 'BKJT123', inboundDate: '07/04/2025' }, 'inboundFlightNumber'],
    ['a lowercase flight number', { ...SPEC_EXAMPLE, outboundFlightNumber: 'bkjt123' }, 'outboundFlightNumber'],
    ['a negative user id', { ...SPEC_EXAMPLE, userId: -1 }, 'userId'],
    ['a user id beyond int4', { ...SPEC_EXAMPLE, userId: 2 ** 31 }, 'userId'],
    ['null for a field', { ...SPEC_EXAMPLE, inboundSeat: null }, 'inboundSeat'],
  ];
  for (const [what, body, field] of invalid) {
    it(`400 validation_error for ${what}, naming ${field}`, async () => {
      const response = await postBooking(api.url, body);
      assert.equal(response.status, 400);
      assertErrorBody(response.body, 'validation_error');
      assert.ok(response.body.details.some((d: any) => d.field === field), JSON.stringify(response.body.details));
    });
  }

  for (const [what, raw] of [['malformed JSON', '{"outboundSeat": 5,'], ['a JSON array', '[]'], ['a JSON string', '"hello"'], ['an empty object', '{}']]) {
    it(`400 validation_error for ${what}`, async () => {
      const response = await postBooking(api.url, raw);
      assert.equal(response.status, 400);
      assertErrorBody(response.body, 'validation_error');
    });
  }

  it('404 flight_not_found, naming the flight', async () => {
    const response = await postBooking(api.url, { ...SPEC_EXAMPLE, inboundFlightNumber: 'BKJT000' });
    assert.equal(response.status, 404);
    assert.deepEqual(response.body, { error: 'flight_not_found', message: 'Flight BKJT000 on 08/04/2025 not found' });
  });

  it('404 flight_not_found for a known number on a date it does not fly', async () => {
    const response = await postBooking(api.url, { ...SPEC_EXAMPLE, outboundDate: '06/04/2025' });
    assert.equal(response.status, 404);
    assert.equal(response.body.message, 'Flight BKJT123 on 06/04/2025 not found');
  });

  it('404 user_not_found', async () => {
    const response = await postBooking(api.url, { ...SPEC_EXAMPLE, userId: 4242 });
    assert.equal(response.status, 404);
    assert.deepEqual(response.body, { error: 'user_not_found', message: 'User 4242 not found' });
  });

  it('413 payload_too_large', async () => {
    const response = await postBooking(api.url, { ...SPEC_EXAMPLE, padding: 'x'.repeat(100_000) });
    assert.equal(response.status, 413);
    assertErrorBody(response.body, 'payload_too_large');
  });

  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    it(`415 unsupported_media_type for ${contentType}`, async () => {
      const response = await postBooking(api.url, JSON.stringify(SPEC_EXAMPLE), { headers: { 'content-type': contentType } });
      assert.equal(response.status, 415);
      assertErrorBody(response.body, 'unsupported_media_type');
    });
  }

  it('nothing was written by any of the failures above', async () => {
    // Each test has its own database; this one checks a burst of every failure kind on one database.
    const failures = [
      { ...SPEC_EXAMPLE, outboundSeat: 9 }, { ...SPEC_EXAMPLE, userId: 4242 },
      { ...SPEC_EXAMPLE, inboundFlightNumber: 'BKJT000' }, { ...SPEC_EXAMPLE, inboundSeat: 6 },
    ];
    const statuses = await Promise.all(failures.map((b) => postBooking(api.url, b).then((r) => r.status)));
    assert.deepEqual(statuses, [400, 404, 404, 409]);
    assert.deepEqual(await query(databaseUrl, 'select id from bookings'), []);
    assert.deepEqual(await takenSeats(databaseUrl, 'BKJT123', '2025-04-07'), [3, 4, 8]);
  });

  it('503 service_unavailable with Retry-After when the database is unreachable', async () => {
    const unreachable = await startApi('postgres://nobody:nothing@127.0.0.1:1/none');
    try {
      const response = await postBooking(unreachable.url, SPEC_EXAMPLE);
      assert.equal(response.status, 503);
      assertErrorBody(response.body, 'service_unavailable');
      assert.ok(Number(response.headers.get('retry-after')) > 0);
    } finally {
      await unreachable.close();
    }
  });
});

describe('the contract documents', () => {
  it('serves the OpenAPI document and Swagger UI', async () => {
    const doc = await (await fetch(`${api.url}/openapi.json`)).json() as any;
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/api/flight/booking'].post.responses['409']);
    const docs = await fetch(`${api.url}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger-ui/i);
  });

  it('pre-fills no Idempotency-Key in "Try it out": a fixed one would replay an old answer on the first Execute', async () => {
    const doc = await (await fetch(`${api.url}/openapi.json`)).json() as any;
    const key = doc.paths['/api/flight/booking'].post.parameters.find((p: any) => p.name === 'Idempotency-Key');
    assert.ok(key, 'the header is documented');
    assert.equal(JSON.stringify(key).match(/"examples?"/), null, JSON.stringify(key));
  });

  it('unknown routes get a JSON 404', async () => {
    const response = await fetch(`${api.url}/api/nothing-here`);
    assert.equal(response.status, 404);
    assertErrorBody(await response.json(), 'not_found');
  });
});
