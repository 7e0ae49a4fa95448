/**
 * Connections. One pg pool per process for queries (wrapped by drizzle for the `sql` template), with
 * bounded connect and statement times so a sick database turns into a quick 503, never a hung request.
 */
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { log } from '../log.ts';
import { DEFAULT_POOL_SIZE } from './sizes.ts';

export type Db = NodePgDatabase & { $client: pg.Pool };

export interface PoolOptions {
  url: string;
  applicationName: string;
  max?: number;
  /** The server cancels a statement running longer than this (57014, answered 503). Default 10 s. */
  statementTimeoutMs?: number;
}

export { DEFAULT_POOL_SIZE };

/**
 * A pool whose query() keeps the connection when the server answers with an error.
 *
 * pg-pool's own query() closes the connection after any error, even one a function raises on purpose
 * (BJ001 seat taken): every 409 then paid for a new connection (TCP, a backend process, SCRAM
 * authentication), and under a race for one seat the losers queued behind those reconnects. An error
 * without a server answer (network, query_timeout) or one that ends the session (FATAL) still discards it.
 */
/**
 * serialization_failure and deadlock_detected: the statement lost a race and was rolled back whole, so
 * running it again is safe and usually succeeds (book_round_trip_idempotent() raises 40001 itself when
 * a key changes under it).
 */
export const RETRIED_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01']);

/**
 * Also retries a statement once when it fails with one of RETRIED_SQLSTATES, before the caller sees the
 * error (then a 503). Safe here because every query() is a statement of its own, in its own implicit
 * transaction: transactions take a client with connect(), never this path.
 */
class KeepAlivePool extends pg.Pool {
  // Same overloads as pg.Pool#query: (text | config, values?, callback?). drizzle uses the promise forms.
  override query(...args: unknown[]): any {
    const callback = typeof args.at(-1) === 'function' ? args.pop() as (err: unknown, res?: unknown) => void : undefined;
    const result = this.queryKeepingConnection(args).catch((e: unknown) => {
      if (e instanceof pg.DatabaseError && RETRIED_SQLSTATES.has(e.code ?? '')) return this.queryKeepingConnection(args);
      throw e;
    });
    if (!callback) return result;
    result.then((res) => callback(undefined, res), (err: unknown) => callback(err));
    return undefined;
  }

  private async queryKeepingConnection(args: unknown[]): Promise<unknown> {
    const client = await this.connect();
    let broken: Error | undefined;
    // A checked-out client has no listener for a connection that dies under it (the pool listens only to
    // idle ones): without this one, that 'error' event would crash the process. The query fails as well.
    const onError = (e: Error) => { broken = e; };
    client.on('error', onError);
    try {
      return await (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
    } catch (e) {
      // Severity ERROR: the statement failed and the session goes on. FATAL/PANIC: the server is closing it.
      if (!(e instanceof pg.DatabaseError) || e.severity !== 'ERROR') broken ??= e as Error;
      throw e;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

/**
 * The read pool: lists, seat maps and WebSocket snapshots. Small, so reads can take at most this many
 * connections whatever clients do, and never the booking pool's.
 */
export const READ_POOL_SIZE = 4;
export const DEFAULT_READ_STATEMENT_TIMEOUT_MS = 2_000;

export function createPool({ url, applicationName, max = DEFAULT_POOL_SIZE, statementTimeoutMs = 10_000 }: PoolOptions): pg.Pool {
  const pool = new KeepAlivePool({
    connectionString: url,
    application_name: applicationName,
    max,
    connectionTimeoutMillis: 3_000,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 5_000,
  });
  // An idle client that loses its connection emits here; the pool drops it and makes a new one later.
  pool.on('error', (err) => log.warn({ err }, 'database pool: idle connection lost'));
  return pool;
}

export function createDb(pool: pg.Pool): Db {
  return drizzle({ client: pool });
}
