/**
 * Roles kept apart on an existing PostgreSQL: an API instance given only the API role's DATABASE_URL never
 * migrates and never loads demo data; it migrates when given the owner's MIGRATION_DATABASE_URL and loads
 * demo data only with SEED=demo; the owner's own step (npm run db:migrate) refuses the API role clearly.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../src/config.ts';
import { asApiRole, query } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { startApiProcess } from './helpers/processes.ts';

let cluster: TestCluster;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });

const EMPTY_TABLES = 'truncate flights, seats, bookings, users, idempotency_keys cascade';
const flightsThrough = async (url: string) => ((await (await fetch(`${url}/api/flights`)).json()) as { total: number }).total;

/** A database with no schema at all, beside the cluster's; dropped by the returned function. */
async function emptyDatabase(): Promise<[string, () => Promise<void>]> {
  const owner = await cluster.freshDatabase();
  const name = `${new URL(owner).pathname.slice(1)}_bare`;
  await query(owner, `create database ${name}`);
  const url = new URL(owner);
  url.pathname = `/${name}`;
  return [url.toString(), async () => { await query(owner, `drop database ${name} with (force)`); }];
}

const run = (args: string[], env: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', ...args], {
  cwd: PROJECT_ROOT, env: { ...process.env, MIGRATION_DATABASE_URL: '', SEED: '', ...env }, encoding: 'utf8', timeout: 120_000,
});

describe('an API instance with only the API role', () => {
  it('serves a migrated database and loads no demo data into it, even when it is empty', async () => {
    const url = await cluster.freshDatabase();
    await query(url, EMPTY_TABLES);
    const api = await startApiProcess(url);
    try {
      assert.equal(await flightsThrough(api.url), 0);
    } finally {
      assert.equal(await api.stop(), 0);
    }
    assert.deepEqual(await query(url, 'select count(*)::int as n from flights'), [{ n: 0 }]);
  });

  it('on a database without the schema, does not try to migrate: one line says what to run', async () => {
    const [bare, drop] = await emptyDatabase();
    try {
      const result = run(['src/main.ts'], { DATABASE_URL: asApiRole(bare), PORT: '0' });
      assert.equal(result.status, 1, result.stdout + result.stderr);
      assert.match(result.stderr, /^blackjet: DATABASE_URL: the database has no BlackJet schema yet\. Run `npm run db:migrate`[^\n]*\n$/);
      assert.deepEqual(await query(bare, "select count(*)::int as n from pg_namespace where nspname = 'drizzle'"), [{ n: 0 }]);
    } finally {
      await drop();
    }
  });

  it('with SEED=demo and the owner\'s MIGRATION_DATABASE_URL loads the demo data into an empty database', async () => {
    const url = await cluster.freshDatabase();
    await query(url, EMPTY_TABLES);
    const api = await startApiProcess(url, { MIGRATION_DATABASE_URL: url, SEED: 'demo' });
    try {
      assert.ok(await flightsThrough(api.url) > 0);
    } finally {
      await api.stop();
    }
  });

  it('SEED=demo without the owner\'s URL is refused: demo data is not written as the API role', () => {
    const result = run(['src/main.ts'], { DATABASE_URL: 'postgres://blackjet_api:x@127.0.0.1:1/none', SEED: 'demo', PORT: '0' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^blackjet: SEED=demo needs MIGRATION_DATABASE_URL[^\n]*\n$/);
  });
});

describe("the owner's step", () => {
  it('works for an owner that is not a superuser (README, An existing PostgreSQL), and the API then serves as blackjet_api', async () => {
    const admin = await cluster.freshDatabase();
    const suffix = new URL(admin).pathname.slice(1);
    const [owner, database] = [`${suffix}_owner`, `${suffix}_own`];
    await query(admin, `create role ${owner} login createrole password 'owner-secret'`);
    await query(admin, `create database ${database} owner ${owner}`);
    const ownerUrl = new URL(admin);
    Object.assign(ownerUrl, { username: owner, password: 'owner-secret', pathname: `/${database}` });
    try {
      for (const step of ['migrate', 'create-api-role', 'seed']) {
        const result = run(['src/cli/db.ts', step], { DATABASE_URL: ownerUrl.toString(), API_DB_PASSWORD: 'unused: the role exists' });
        assert.equal(result.status, 0, `${step}: ${result.stderr}`);
      }
      assert.deepEqual(await query(ownerUrl.toString(), 'select rolsuper from pg_roles where rolname = current_user'), [{ rolsuper: false }]);
      const api = await startApiProcess(ownerUrl.toString());
      try {
        assert.ok(await flightsThrough(api.url) > 0);
      } finally {
        await api.stop();
      }
    } finally {
      await query(admin, `drop database ${database} with (force)`);
      await query(admin, `drop owned by ${owner} cascade`);
      await query(admin, `drop role ${owner}`);
    }
  });

  it('npm run db:migrate as the API role says migrations need the schema owner', async () => {
    const [bare, drop] = await emptyDatabase();
    try {
      const result = run(['src/cli/db.ts', 'migrate'], { DATABASE_URL: asApiRole(bare) });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /^blackjet: DATABASE_URL: role "blackjet_api" may not create the schema\.[^\n]*\n$/);
    } finally {
      await drop();
    }
  });
});
