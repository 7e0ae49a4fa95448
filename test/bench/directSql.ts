/**
 * The reference: N connections call book_round_trip() straight from a pg client, as fast as they can.
 * This is what PostgreSQL itself does with our booking function; every other figure is set beside it.
 */
import pg from 'pg';
import type { BenchDatabase } from './database.ts';
import { closedLoop, type ThroughputRun } from './stats.ts';
import { bookRoundTripQuery, TripSource } from './workload.ts';

export interface LoopOptions {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
}

export async function withClients<T>(url: string, count: number, use: (clients: pg.Client[]) => Promise<T>): Promise<T> {
  const clients = Array.from({ length: count }, () => new pg.Client({ connectionString: url, application_name: 'blackjet-bench' }));
  // A connection lost mid-run fails its next query, which counts as an error; an interrupted bench drops them all.
  for (const client of clients) client.on('error', () => undefined);
  try {
    await Promise.all(clients.map((c) => c.connect()));
    return await use(clients);
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

/** `asyncCommit`: a diagnostic only, commits that do not wait for their WAL flush (not durable). */
export function runDirectSql(db: BenchDatabase, options: LoopOptions & { asyncCommit?: boolean }): Promise<ThroughputRun> {
  const trips = new TripSource(db.flights);
  return withClients(db.url, options.concurrency, async (clients) => {
    if (options.asyncCommit) await Promise.all(clients.map((c) => c.query('set synchronous_commit = off')));
    return closedLoop({
      ...options,
      operation: async (worker) => { await clients[worker]!.query(bookRoundTripQuery(trips.next())); },
      onError: (e) => console.warn(`direct SQL: ${(e as Error).message}`),
    });
  });
}
