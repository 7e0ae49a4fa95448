/**
 * 40001 (serialization_failure) and 40P01 (deadlock_detected) are retried once inside the server before
 * the client sees a 503. A trigger that fails the first N booking inserts with a chosen SQLSTATE stands in
 * for the race; a sequence (not rolled back with the failed statement) counts the attempts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SPEC_EXAMPLE, postBooking, query, startApi, takenSeats } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';

let cluster: TestCluster;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });

/** A fresh database whose first `failures` booking inserts fail with `code`. */
async function failingBookings(code: string, failures: number): Promise<string> {
  const url = await cluster.freshDatabase();
  await query(url, 'create sequence booking_attempts');
  await query(url, `
    create function fail_bookings() returns trigger language plpgsql as $$
    begin
      if nextval('booking_attempts') <= ${failures} then
        raise exception 'simulated race' using errcode = '${code}';
      end if;
      return new;
    end $$`);
  await query(url, 'create trigger fail_bookings before insert on bookings for each row execute function fail_bookings()');
  return url;
}

const attempts = async (url: string) => Number((await query(url, 'select last_value from booking_attempts'))[0].last_value);

describe('a booking that loses a race inside PostgreSQL', () => {
  for (const code of ['40001', '40P01']) {
    it(`${code} once: retried, 201, booked once`, async () => {
      const url = await failingBookings(code, 1);
      const api = await startApi(url);
      try {
        const before = await takenSeats(url, 'BKJT123', '2025-04-07');
        const response = await postBooking(api.url, SPEC_EXAMPLE);
        assert.equal(response.status, 201);
        assert.equal(await attempts(url), 2);
        assert.deepEqual(await takenSeats(url, 'BKJT123', '2025-04-07'), [...before, 5].sort((a, b) => a - b));
        assert.equal((await query(url, 'select count(*)::int as n from bookings where id = $1', [response.body.bookingId]))[0].n, 1);
      } finally {
        await api.close();
      }
    });

    it(`${code} twice: one retry only, then 503 with Retry-After and nothing booked`, async () => {
      const url = await failingBookings(code, 2);
      const api = await startApi(url);
      try {
        const before = await takenSeats(url, 'BKJT123', '2025-04-07');
        const response = await postBooking(api.url, SPEC_EXAMPLE);
        assert.equal(response.status, 503);
        assert.equal(response.body.error, 'service_unavailable');
        assert.ok(response.headers.get('retry-after'));
        assert.equal(await attempts(url), 2);
        assert.deepEqual(await takenSeats(url, 'BKJT123', '2025-04-07'), before);
      } finally {
        await api.close();
      }
    });
  }

  it('other errors are not retried', async () => {
    const url = await failingBookings('57014', 1); // query_canceled (statement_timeout): also a 503, not retried
    const api = await startApi(url);
    try {
      const response = await postBooking(api.url, SPEC_EXAMPLE);
      assert.equal(response.status, 503);
      assert.equal(await attempts(url), 1);
    } finally {
      await api.close();
    }
  });
});
