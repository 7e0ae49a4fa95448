/**
 * Applies drizzle/ migrations (tables, then the functions and triggers shipped from sql/).
 *
 * drizzle's migrator has no guard against two processes migrating at once, so it runs under a
 * session-level advisory lock: a second instance starting at the same moment waits, then finds nothing
 * left to do.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

export const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');
// Any fixed bigint; "bjmigrat" in ASCII, so it is recognisable in pg_locks.
const MIGRATION_LOCK_KEY = '7091600862722810228';

export async function migrateDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'blackjet-migrate' });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    // Ending the session releases the advisory lock even if unlock is never reached.
    await client.end();
  }
}
