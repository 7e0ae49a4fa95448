/**
 * The database goes away under a live server with subscribers, and comes back: bookings answer 503
 * quickly meanwhile, WebSocket clients stay connected, and everything recovers by itself.
 *
 * This test stops and restarts PostgreSQL, so it always runs its own embedded cluster (also when the
 * other tests use DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { SeatMapClient } from '../src/client/seatMapClient.ts';
import { ensureApiRole } from '../src/provision/apiRole.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase, type EmbeddedOptions } from '../src/provision/embedded.ts';
import { migrateDatabase } from '../src/provision/migrate.ts';
import { loadSeedData, readSeedData } from '../src/provision/seed.ts';
import { SPEC_EXAMPLE, TEST_API_PASSWORD, postBooking, query, startApi } from './helpers/api.ts';
import { SEED_DIR, freePort } from './helpers/cluster.ts';
import { allMatchDatabase, untilClients } from './helpers/sockets.ts';

const parent = mkdtempSync(path.join(tmpdir(), 'blackjet-outage-'));
chmodSync(parent, 0o755);
after(() => rmSync(parent, { recursive: true, force: true }));

const FLIGHTS = [['BKJT123', '07/04/2025', '2025-04-07'], ['BKJT234', '08/04/2025', '2025-04-08']] as const;

describe('database outage', () => {
  it('503s with Retry-After within seconds, sockets stay up, then full recovery with no restart', async () => {
    const options: EmbeddedOptions = { dataDir: path.join(parent, 'pgdata'), port: await freePort(), database: 'blackjet', persistent: true, durable: false };
    let database: EmbeddedDatabase = await startEmbeddedPostgres(options);
    await migrateDatabase(database.url);
    await ensureApiRole(database.url, TEST_API_PASSWORD);
    const seeder = new pg.Client({ connectionString: database.url });
    await seeder.connect();
    await loadSeedData(seeder, readSeedData(SEED_DIR));
    await seeder.end();

    const api = await startApi(database.url);
    const clients = [new SeatMapClient(api.url), new SeatMapClient(`${api.url}/flights`)];
    const confirmed: string[] = [];
    try {
      for (const client of clients) for (const [flightNumber, date] of FLIGHTS) await client.subscribe({ flightNumber, date });
      const first = await postBooking(api.url, SPEC_EXAMPLE);
      assert.equal(first.status, 201);
      confirmed.push(first.body.bookingId);

      await database.stop();

      for (const body of [{ ...SPEC_EXAMPLE, outboundSeat: 6, inboundSeat: 4 }, { ...SPEC_EXAMPLE, outboundSeat: 7, inboundSeat: 5 }]) {
        const started = Date.now();
        const response = await postBooking(api.url, body);
        assert.equal(response.status, 503);
        assert.equal(response.body.error, 'service_unavailable');
        assert.ok(Number(response.headers.get('retry-after')) > 0);
        assert.ok(Date.now() - started < 5_000, `answered in ${Date.now() - started} ms`);
      }
      const ready = await fetch(`${api.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal((await fetch(`${api.url}/healthz`)).status, 200);
      await assert.rejects(clients[0]!.subscribe({ flightNumber: 'BKJT456', date: '07/04/2025' }),
        (e: { error?: string }) => e.error === 'service_unavailable');
      assert.ok(clients.every((c) => c.socket.connected), 'WebSocket clients stay connected');
      assert.equal(api.listener.isConnected(), false);

      const resynced = once(api.listener, 'resync');
      database = await startEmbeddedPostgres(options);
      await resynced; // the listener came back by itself and every room was re-read

      // The pool recovers too: new connections on demand.
      const again = await postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat: 6, inboundSeat: 4 });
      assert.equal(again.status, 201);
      confirmed.push(again.body.bookingId);
      assert.equal((await fetch(`${api.url}/readyz`)).status, 200);

      await untilClients(clients, () => allMatchDatabase(database.url, clients, FLIGHTS));
      assert.deepEqual(clients[0]!.seatMaps.get(SeatMapClient.key('BKJT123', '07/04/2025'))!.availableSeats, [1, 2, 7]);

      // Nothing half-written, and every 201 is there.
      const rows = await query(database.url, 'select id::text from bookings order by created_at');
      assert.deepEqual(rows.map((r) => r.id), confirmed);
      assert.deepEqual(await query(database.url, 'select count(*)::int as n from seats where booking_id is not null'), [{ n: 4 }]);
    } finally {
      for (const c of clients) c.close();
      await api.close();
      await database.stop();
    }
  });
});
