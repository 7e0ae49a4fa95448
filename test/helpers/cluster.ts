/**
 * A real PostgreSQL for the tests, and a fresh database per test from a migrated, seeded template
 * (`create database ... template ...`: a few milliseconds, against seconds for migrate and seed).
 *
 * Under `npm test` (test/run.ts) one server and one template serve every test file: the runner passes
 * them in TEST_ADMIN_URL_VARIABLE and TEST_TEMPLATE_VARIABLE. A file run on its own
 * (`node --import tsx --test test/x.test.ts`) makes its own: the embedded PostgreSQL on a throwaway data
 * dir and a free port, or, with DATABASE_URL, databases created (and dropped) on that server.
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

/** Set by test/run.ts: a connection to the shared test server, allowed to create databases. */
export const TEST_ADMIN_URL_VARIABLE = 'BLACKJET_TEST_ADMIN_URL';
/** Set by test/run.ts: the name of the migrated, seeded template database on that server. */
export const TEST_TEMPLATE_VARIABLE = 'BLACKJET_TEST_TEMPLATE';

const uniqueName = (what: string) => `blackjet_test_${process.pid}_${randomBytes(3).toString('hex')}_${what}`;

export interface TestServer {
  /** A connection allowed to create databases. */
  adminUrl: string;
  /** Stops the embedded server; nothing for DATABASE_URL. */
  stop(): Promise<void>;
}

/** The embedded PostgreSQL on a throwaway data dir and a free port, or the DATABASE_URL server. */
export async function startTestServer(): Promise<TestServer> {
  if (process.env.DATABASE_URL) return { adminUrl: process.env.DATABASE_URL, stop: async () => {} };
  const embedded = await startEmbeddedPostgres({
    dataDir: mkdtempSync(path.join(tmpdir(), 'blackjet-test-')),
    port: await freePort(),
    database: 'postgres',
    persistent: false,
    durable: false,
  });
  return { adminUrl: embedded.url, stop: embedded.stop };
}

/**
 * Creates a database with the schema, the API role's grants (TEST_API_PASSWORD) and the seed data, and
 * closes every connection to it: a database is cloned only while nobody is connected to it. Returns its name.
 */
export async function createTemplate(adminUrl: string): Promise<string> {
  const name = uniqueName('template');
  await query(adminUrl, `create database ${name}`);
  const url = withDatabase(adminUrl, name);
  await migrateDatabase(url);
  await ensureApiRole(url, 'blackjet_api'); // TEST_API_PASSWORD; the grants are cloned with the template
  const seeder = new pg.Client({ connectionString: url });
  await seeder.connect();
  try {
    await loadSeedData(seeder, readSeedData(SEED_DIR));
  } finally {
    await seeder.end();
  }
  return name;
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await query(adminUrl, `drop database if exists ${name} with (force)`);
}

async function query(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** The test server and template for this file: the run's shared ones, or its own. */
export async function startTestCluster(): Promise<TestCluster> {
  const sharedAdminUrl = process.env[TEST_ADMIN_URL_VARIABLE];
  const sharedTemplate = process.env[TEST_TEMPLATE_VARIABLE];
  let adminUrl: string;
  let templateName: string;
  let cleanUp = async () => {};
  if (sharedAdminUrl && sharedTemplate) {
    adminUrl = sharedAdminUrl;
    templateName = sharedTemplate;
  } else {
    const server = await startTestServer();
    adminUrl = server.adminUrl;
    templateName = await createTemplate(adminUrl).catch(async (e: unknown) => {
      await server.stop();
      throw e;
    });
    cleanUp = async () => {
      await dropDatabase(adminUrl, templateName);
      await server.stop();
    };
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const created: string[] = [];
  let counter = 0;
  const prefix = uniqueName('');
  return {
    async freshDatabase() {
      const name = `${prefix}${++counter}`;
      await admin.query(`create database ${name} template ${templateName}`);
      created.push(name);
      return withDatabase(adminUrl, name);
    },
    async stop() {
      for (const name of created.reverse()) await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
      await cleanUp();
    },
  };
}
