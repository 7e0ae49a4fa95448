/**
 * A refused booking keeps its database connection: the 409s of a lost race must not each cost a new
 * connection (a backend process and SCRAM authentication), while a broken connection is still dropped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { SPEC_EXAMPLE, postBooking, query, startApi } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';

let cluster: TestCluster;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });

const apiBackends = async (url: string) => (await query<{ pid: number }>(url,
  "select pid from pg_stat_activity where application_name = 'blackjet-api' and datname = current_database() order by pid"))
  .map((r) => r.pid);

describe('the API pool', () => {
  it('keeps the connection after a 409, 404 or SQL-raised 400, and replaces one that was killed', async () => {
    const url = await cluster.freshDatabase();
    // The hold sweeper shares the pool: a tick that met a booking would open a second connection at random.
    const api = await startApi(url, undefined, { holdSweepIntervalMs: 3_600_000 });
    try {
      assert.equal((await postBooking(api.url, SPEC_EXAMPLE)).status, 201);
      const backends = await apiBackends(url);
      assert.equal(backends.length, 1); // one request at a time: one connection

      assert.equal((await postBooking(api.url, SPEC_EXAMPLE)).status, 409);
      assert.equal((await postBooking(api.url, { ...SPEC_EXAMPLE, userId: 424242 })).status, 404);
      assert.equal((await postBooking(api.url, { ...SPEC_EXAMPLE, outboundFlightNumber: 'BKJT000' })).status, 404);
      assert.deepEqual(await apiBackends(url), backends);

      await query(url, 'select pg_terminate_backend($1)', [backends[0]]);
      // The pool may hand out the dead connection once (a 503), never a 500, then reconnects.
      const afterKill = await postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat: 6, inboundSeat: 4 });
      assert.ok([201, 503].includes(afterKill.status), `status ${afterKill.status}`);
      const retried = afterKill.status === 201 ? afterKill : await postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat: 6, inboundSeat: 4 });
      assert.equal(retried.status, 201);
      assert.notDeepEqual(await apiBackends(url), backends);
    } finally {
      await api.close();
    }
  });

  it('survives its connection being killed in the middle of a booking: a 503, then bookings go on', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApi(url);
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    try {
      // Hold BKJT123's row lock so that the booking waits on it, inside its query.
      await blocker.query('begin');
      await blocker.query("select 1 from flights where flight_number = 'BKJT123' for update");
      const booking = postBooking(api.url, SPEC_EXAMPLE);
      // Until the booking waits on the lock; a booking that never gets there fails the test, not hangs it.
      let waiting: { pid: number }[] = [];
      const deadline = Date.now() + 15_000;
      while (waiting.length === 0) {
        assert.ok(Date.now() < deadline, 'the booking never waited on the flight lock');
        waiting = await query(url, `select pid from pg_stat_activity
          where application_name = 'blackjet-api' and wait_event_type = 'Lock' and datname = current_database()`);
      }
      await query(url, 'select pg_terminate_backend($1)', [waiting[0]!.pid]);
      assert.equal((await booking).status, 503);
      await blocker.query('rollback');

      assert.equal((await postBooking(api.url, SPEC_EXAMPLE)).status, 201);
      assert.equal((await postBooking(api.url, SPEC_EXAMPLE)).status, 409);
      assert.ok(!(await apiBackends(url)).includes(waiting[0]!.pid));
    } finally {
      await blocker.end();
      await api.close();
    }
  });
});
