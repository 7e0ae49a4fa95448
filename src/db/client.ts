/**
 * Connections. One pg pool per process for queries (wrapped by drizzle for the `sql` template), with
 * bounded connect and statement times so a sick database turns into a quick 503, never a hung request.
 */
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { log } from '../log.ts';

export type Db = NodePgDatabase;

export interface PoolOptions {
  url: string;
  applicationName: string;
  max?: number;
}

/**
 * pg's Pool#query drops the connection after *any* failed query, so every refused booking (a seat taken
 * is an error raised by book_round_trip) would cost a reconnect and a password handshake. Here an error
 * the server answered with keeps the connection: the statement failed, the session is fine. Connection
 * failures still drop it (the client is no longer queryable, and its error carries no SQLSTATE severity).
 */
class KeepAlivePool extends pg.Pool {
  // Same overloads as pg.Pool#query; drizzle calls the (config, values) form.
  override query(...args: unknown[]): any {
    const callback = typeof args.at(-1) === 'function' ? args.pop() as (err: unknown, res?: unknown) => void : undefined;
    const run = async () => {
      const client = await this.connect();
      try {
        const result = await (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
        client.release();
        return result;
      } catch (e) {
        const answeredByServer = typeof (e as { severity?: unknown }).severity === 'string';
        client.release(answeredByServer ? undefined : (e as Error));
        throw e;
      }
    };
    if (!callback) return run();
    run().then((res) => callback(undefined, res), (err: unknown) => callback(err));
    return undefined;
  }
}

export function createPool({ url, applicationName, max = 10 }: PoolOptions): pg.Pool {
  const pool = new KeepAlivePool({
    connectionString: url,
    application_name: applicationName,
    max,
    connectionTimeoutMillis: 3_000,
    statement_timeout: 10_000,
    query_timeout: 15_000,
  });
  // An idle client that loses its connection emits here; the pool drops it and makes a new one later.
  pool.on('error', (err) => log.warn({ err }, 'database pool: idle connection lost'));
  return pool;
}

export function createDb(pool: pg.Pool): Db {
  return drizzle({ client: pool });
}
