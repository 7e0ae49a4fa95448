/**
 * Gets a migrated database and the ways into it: the owner's (migrations, seed data, psql for DBAs) and
 * the API's (the restricted blackjet_api role, sql/privileges.sql).
 *
 * Roles are kept apart. With DATABASE_URL:
 * - `setup` (npm run db:*): the owner's step; migrates as MIGRATION_DATABASE_URL, else DATABASE_URL.
 * - `serve` (an API instance): DATABASE_URL is the API role and all the instance holds. It migrates only
 *   when asked, by being given the owner's MIGRATION_DATABASE_URL; otherwise it checks that the schema is
 *   there and readable, and says what to run when it is not.
 * Without DATABASE_URL, the embedded zero-set-up database does everything itself, in both cases.
 */
import pg from 'pg';
import { ConfigError, type Config } from '../config.ts';
import { apiRoleUrl, ensureApiRole } from './apiRole.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { migrateDatabase } from './migrate.ts';
import { storeNotificationKey } from './notificationKey.ts';
import { secretOf } from './secrets.ts';
import { seedIfEmpty } from './seed.ts';

export interface ProvisionedDatabase {
  /** The schema owner: migrations, seeding, DBAs. Undefined for an API instance given only its own role. */
  ownerUrl: string | undefined;
  /** What the API connects as. */
  apiUrl: string;
  embedded: boolean;
  /** Stops the embedded database; nothing for DATABASE_URL. */
  stop(): Promise<void>;
}

export async function provisionDatabase(config: Config, purpose: 'setup'): Promise<ProvisionedDatabase & { ownerUrl: string }>;
export async function provisionDatabase(config: Config, purpose: 'setup' | 'serve'): Promise<ProvisionedDatabase>;
export async function provisionDatabase(config: Config, purpose: 'setup' | 'serve'): Promise<ProvisionedDatabase> {
  if (config.databaseUrl) {
    if (purpose === 'serve' && config.seed === 'demo' && !config.migrationDatabaseUrl) throw new ConfigError(SEED_NEEDS_OWNER);
    const ownerUrl = purpose === 'setup' ? config.migrationDatabaseUrl ?? config.databaseUrl : config.migrationDatabaseUrl;
    if (ownerUrl) {
      await migrateDatabase(ownerUrl).catch((e: unknown) => {
        throw sqlState(e) === '42501'
          ? new ConfigError(`${config.migrationDatabaseUrl ? 'MIGRATION_DATABASE_URL' : 'DATABASE_URL'}: role "${new URL(ownerUrl).username}" `
            + 'may not create the schema. Migrations run as the schema owner (the owner of the database); see README, An existing PostgreSQL')
          : e;
      });
      if (config.notificationSigningKey) await storeNotificationKey(ownerUrl, config.notificationSigningKey);
    }
    if (purpose === 'serve') await assertSchemaReadable(config.databaseUrl);
    return { ownerUrl, apiUrl: config.databaseUrl, embedded: false, stop: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPgPort,
    database: 'blackjet',
    persistent: true,
    durable: true,
  });
  const apiPassword = secretOf(config.dataDir, 'apiPassword'); // random, kept beside the superuser's
  try {
    await migrateDatabase(embedded.url);
    if (config.notificationSigningKey) await storeNotificationKey(embedded.url, config.notificationSigningKey);
    await ensureApiRole(embedded.url, apiPassword, true);
  } catch (e) {
    await embedded.stop();
    throw e;
  }
  return { ownerUrl: embedded.url, apiUrl: apiRoleUrl(embedded.url, apiPassword), embedded: true, stop: embedded.stop };
}


const SEED_NEEDS_OWNER = 'SEED=demo needs MIGRATION_DATABASE_URL: demo data is written as the schema owner, not as the API role';

/** pg's SQLSTATE, also when drizzle wrapped the error ("Failed query: ..."). */
function sqlState(e: unknown): string | undefined {
  const error = e as { code?: string; cause?: { code?: string } };
  return error.code ?? error.cause?.code;
}

/** An API instance that does not migrate: the schema must be there, and readable as DATABASE_URL's role. */
async function assertSchemaReadable(apiUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: apiUrl, application_name: 'blackjet-api', connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('select 1 from flights limit 0');
  } catch (e) {
    const code = sqlState(e);
    if (code === '42P01') {
      throw new ConfigError('DATABASE_URL: the database has no BlackJet schema yet. Run `npm run db:migrate` with the schema '
        + "owner's URL first, or give this instance MIGRATION_DATABASE_URL to migrate on start (README, An existing PostgreSQL)");
    }
    if (code === '42501') {
      throw new ConfigError(`DATABASE_URL: role "${new URL(apiUrl).username}" may not read the schema. `
        + 'Run `npm run db:create-api-role` as the schema owner and connect as blackjet_api');
    }
    throw new ConfigError(`DATABASE_URL: cannot use the database (${(e as Error).message})`);
  } finally {
    await client.end().catch(() => {});
  }
}

const DEMO_SCHEDULE_DAYS = 28;

/**
 * Demo data (seed_data/, then generate_demo_schedule()) goes only into the embedded database, or where SEED=demo asks for it, and only
 * into a database with no flights: rows present are never touched. Undefined when nothing was loaded.
 */
export async function loadDemoDataIfWanted(config: Config, database: ProvisionedDatabase) {
  if (!database.embedded && config.seed !== 'demo') return undefined;
  if (!database.ownerUrl) throw new ConfigError(SEED_NEEDS_OWNER);
  const client = new pg.Client({ connectionString: database.ownerUrl, application_name: 'blackjet-seed' });
  await client.connect();
  try {
    const seeded = await seedIfEmpty(client, config.seedDir);
    if (seeded) {
      // The demo also gets a schedule to search: four weeks of flights between a dozen airports.
      const { rows } = await client.query<{ added: number }>(
        `select generate_demo_schedule(current_date, ${DEMO_SCHEDULE_DAYS}) as added`);
      return { ...seeded, demoScheduleFlights: rows[0]?.added ?? 0 };
    }
    return seeded;
  } finally {
    await client.end();
  }
}
