/**
 * A real PostgreSQL for one test file. Without DATABASE_URL: the embedded one on a throwaway data dir
 * and a free port. With DATABASE_URL: databases created (and dropped) on that server.
 *
 * The schema is migrated and seeded once into a template database; `freshDatabase()` clones it
 * (`create database ... template ...`), so every test starts from the seed data in a few milliseconds.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../../src/config.ts';
import { ensureApiRole } from '../../src/provision/apiRole.ts';
import { startEmbeddedPostgres } from '../../src/provision/embedded.ts';
import { migrateDatabase } from '../../src/provision/migrate.ts';
import { loadSeedData, readSeedData } from '../../src/provision/seed.ts';

export const SEED_DIR = path.join(PROJECT_ROOT, 'seed_data');

export interface TestCluster {
  /** A new database holding the migrated schema and the seed data. */
  freshDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const withDatabase = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

export async function startTestCluster(): Promise<TestCluster> {
  const prefix = `blackjet_test_${process.pid}_${randomBytes(3).toString('hex')}`;
  let adminUrl: string;
  let stopServer = async () => {};
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    const embedded = await startEmbeddedPostgres({
      dataDir: mkdtempSync(path.join(tmpdir(), 'blackjet-test-')),
      port: await freePort(),
      database: 'postgres',
      persistent: false,
      durable: false,
    });
    adminUrl = embedded.url;
    stopServer = embedded.stop;
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const created: string[] = [];
  const createDatabase = async (name: string, template?: string) => {
    await admin.query(`create database ${name}${template ? ` template ${template}` : ''}`);
    created.push(name);
    return withDatabase(adminUrl, name);
  };

  const templateName = `${prefix}_template`;
  const templateUrl = await createDatabase(templateName);
  await migrateDatabase(templateUrl);
  await ensureApiRole(templateUrl, 'blackjet_api'); // TEST_API_PASSWORD; the grants are cloned with the template
  const seeder = new pg.Client({ connectionString: templateUrl });
  await seeder.connect();
  await loadSeedData(seeder, readSeedData(SEED_DIR));
  await seeder.end();

  let counter = 0;
  return {
    freshDatabase: () => createDatabase(`${prefix}_${++counter}`, templateName),
    async stop() {
      for (const name of created.reverse()) await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
      await stopServer();
    },
  };
}
