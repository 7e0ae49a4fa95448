/**
 * A seeded embedded PostgreSQL of its own that a test can stop and start again on the same data dir and
 * port, for outage tests (also when the other tests use DATABASE_URL).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureApiRole } from '../../src/provision/apiRole.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/provision/embedded.ts';
import { migrateDatabase } from '../../src/provision/migrate.ts';
import { loadSeedData, readSeedData } from '../../src/provision/seed.ts';
import { TEST_API_PASSWORD } from './api.ts';
import { SEED_DIR, freePort } from './cluster.ts';

export interface RestartableDatabase {
  /** The owner's URL; the same across restarts. */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it (if running) and removes its data dir. */
  destroy(): Promise<void>;
}

export async function startRestartableDatabase(): Promise<RestartableDatabase> {
  const parent = mkdtempSync(path.join(tmpdir(), 'blackjet-outage-'));
  chmodSync(parent, 0o755);
  const options = { dataDir: path.join(parent, 'pgdata'), port: await freePort(), database: 'blackjet', persistent: true, durable: false };
  let running: EmbeddedDatabase | undefined = await startEmbeddedPostgres(options);
  await migrateDatabase(running.url);
  await ensureApiRole(running.url, TEST_API_PASSWORD);
  const seeder = new pg.Client({ connectionString: running.url });
  await seeder.connect();
  await loadSeedData(seeder, readSeedData(SEED_DIR));
  await seeder.end();
  const url = running.url;

  const stop = async () => {
    const database = running;
    running = undefined;
    await database?.stop();
  };
  return {
    url,
    stop,
    async start() {
      running = await startEmbeddedPostgres(options);
    },
    async destroy() {
      await stop();
      rmSync(parent, { recursive: true, force: true });
    },
  };
}
