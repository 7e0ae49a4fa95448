/**
 * Connections. One pg pool per process for queries (wrapped by drizzle for the `sql` template), with
 * bounded connect and statement times so a sick database turns into a quick 503, never a hung request.
 */
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';

export type Db = NodePgDatabase;

export interface PoolOptions {
  url: string;
  applicationName: string;
  max?: number;
}

export function createPool({ url, applicationName, max = 10 }: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    application_name: applicationName,
    max,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 10_000,
    query_timeout: 15_000,
  });
  // An idle client that loses its connection emits here; the pool drops it and makes a new one later.
  pool.on('error', (err) => console.warn(`database pool: idle connection lost (${err.message})`));
  return pool;
}

export function createDb(pool: pg.Pool): Db {
  return drizzle({ client: pool });
}
