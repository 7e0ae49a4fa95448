/**
 * Cancellation: DELETE /api/flight/booking/{bookingId} over real HTTP and cancel_booking() from SQL.
 * Both seats are freed in one transaction, the booking stays as history, each flight notifies once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { SPEC_EXAMPLE, listenForSeatChanges, postBooking, query, sqlError, takenSeats, SPEC_INBOUND_LEG, SPEC_OUTBOUND_LEG } from './helpers/api.ts';
import { assertValidationError, callApi } from './helpers/contract.ts';
import { freshApiPerTest } from './helpers/setup.ts';

const t = freshApiPerTest();
const cancel = (bookingId: string) => callApi(t.api.url, 'DELETE', `/api/flight/booking/${bookingId}`);
const UNKNOWN_BOOKING = '00000000-0000-4000-8000-000000000000';

async function bookSpecExample(overrides: Partial<typeof SPEC_EXAMPLE> = {}): Promise<string> {
  const response = await postBooking(t.api.url, { ...SPEC_EXAMPLE, ...overrides });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.bookingId;
}

describe('DELETE /api/flight/booking/{bookingId}', () => {
  it('frees both seats and answers with the booking, now cancelled; the row stays as history', async () => {
    const bookingId = await bookSpecExample();
    const { status, body } = await cancel(bookingId);
    assert.equal(status, 200);
    assert.deepEqual({ ...body, createdAt: undefined, cancelledAt: undefined }, {
      bookingId, userId: 1, status: 'cancelled',
      outbound: SPEC_OUTBOUND_LEG,
      inbound: SPEC_INBOUND_LEG,
      createdAt: undefined, cancelledAt: undefined,
    });
    assert.ok(Date.parse(body.cancelledAt) >= Date.parse(body.createdAt));

    assert.deepEqual(await takenSeats(t.databaseUrl, 'BKJT123', '2025-04-07'), [3, 4, 8]);
    assert.deepEqual(await takenSeats(t.databaseUrl, 'BKJT234', '2025-04-08'), [1, 6]);
    const [row] = await query(t.databaseUrl, 'select status, cancelled_at is not null as has_time from bookings where id = $1', [bookingId]);
    assert.deepEqual(row, { status: 'cancelled', has_time: true });

    const read = await callApi(t.api.url, 'GET', `/api/bookings/${bookingId}`);
    assert.deepEqual(read.body, body);
    const history = await callApi(t.api.url, 'GET', '/api/users/1/itineraries');
    assert.deepEqual(history.body.items.map((b: any) => [b.bookingId, b.status]), [[bookingId, 'cancelled']]);
  });

  it('the freed seats can be booked again, by someone else', async () => {
    await cancel(await bookSpecExample());
    const again = await postBooking(t.api.url, { ...SPEC_EXAMPLE, userId: 2 });
    assert.equal(again.status, 201);
    assert.deepEqual(await takenSeats(t.databaseUrl, 'BKJT123', '2025-04-07'), [3, 4, 5, 8]);
  });

  it('a plain LISTEN client sees one seats_updated per flight, with the released seat', async () => {
    const bookingId = await bookSpecExample();
    const listener = await listenForSeatChanges(t.databaseUrl);
    try {
      await listener.drain();
      await cancel(bookingId);
      const events = (await listener.drain()).sort((a, b) => a.flightNumber.localeCompare(b.flightNumber));
      assert.deepEqual(events.map((e) => [e.flightNumber, e.date, e.availableSeats, e.lastBookedSeat, e.releasedSeat]), [
        ['BKJT123', '07/04/2025', [1, 2, 5, 6, 7], null, 5],
        ['BKJT234', '08/04/2025', [2, 3, 4, 5, 7, 8], null, 3],
      ]);
    } finally {
      await listener.close();
    }
  });

  it('409 already_cancelled the second time, and nothing changes or notifies', async () => {
    const bookingId = await bookSpecExample();
    const first = await cancel(bookingId);
    const listener = await listenForSeatChanges(t.databaseUrl);
    try {
      const second = await cancel(bookingId);
      assert.equal(second.status, 409);
      assert.deepEqual(second.body, { error: 'already_cancelled', message: `Booking ${bookingId} is already cancelled` });
      assert.deepEqual(await listener.drain(), []);
      assert.deepEqual((await callApi(t.api.url, 'GET', `/api/bookings/${bookingId}`)).body, first.body);
    } finally {
      await listener.close();
    }
  });

  it('ten simultaneous cancellations of one booking: one 200, nine 409, one notification per flight', async () => {
    const bookingId = await bookSpecExample();
    const listener = await listenForSeatChanges(t.databaseUrl);
    try {
      await listener.drain();
      const responses = await Promise.all(Array.from({ length: 10 }, () => cancel(bookingId)));
      assert.deepEqual(responses.map((r) => r.status).sort(), [200, ...Array(9).fill(409)]);
      assert.equal((await listener.drain()).length, 2);
    } finally {
      await listener.close();
    }
  });

  it('404 booking_not_found for an unknown id, 400 for an id that is not a uuid', async () => {
    const missing = await cancel(UNKNOWN_BOOKING);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error: 'booking_not_found', message: `Booking ${UNKNOWN_BOOKING} not found` });
    assertValidationError(await cancel('42'), 'bookingId');
  });
});

describe('cancel_booking() from SQL', () => {
  it('cancels and returns one row; BJ006 the second time, BJ005 for an unknown booking', async () => {
    const bookingId = await bookSpecExample();
    const rows = await query(t.databaseUrl, 'select * from cancel_booking($1)', [bookingId]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].booking_id, bookingId);
    assert.equal(rows[0].status, 'cancelled');
    assert.ok(rows[0].cancelled_at instanceof Date);

    const again = await sqlError(t.databaseUrl, 'select * from cancel_booking($1)', [bookingId]);
    assert.equal(again.code, 'BJ006');
    assert.equal(again.message, `Booking ${bookingId} is already cancelled`);
    assert.equal(JSON.parse(again.detail!).bookingId, bookingId);

    const unknown = await sqlError(t.databaseUrl, 'select * from cancel_booking($1)', [UNKNOWN_BOOKING]);
    assert.equal(unknown.code, 'BJ005');
    assert.equal(unknown.message, `Booking ${UNKNOWN_BOOKING} not found`);
    assert.equal((await sqlError(t.databaseUrl, 'select * from cancel_booking(null)', [])).code, 'BJ004');
  });

  it('a rolled-back cancellation leaves the seats and the booking as they were', async () => {
    const bookingId = await bookSpecExample();
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      await client.query('begin');
      await client.query('select * from cancel_booking($1)', [bookingId]);
      await client.query('rollback');
    } finally {
      await client.end();
    }
    assert.deepEqual(await takenSeats(t.databaseUrl, 'BKJT123', '2025-04-07'), [3, 4, 5, 8]);
    assert.deepEqual((await query(t.databaseUrl, 'select status from bookings where id = $1', [bookingId]))[0], { status: 'confirmed' });
  });
});
