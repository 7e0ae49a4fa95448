/**
 * The relay under load: `subscribers` socket.io clients in a child process (fanoutClients.ts), one per
 * flight, on flights the throughput workload books (every `LEG_STEP`-th leg of a TripSource, so they are
 * booked through the run, not only at its start). During a measured scenario every committed change of
 * those flights must reach its subscriber; the lag runs from the change's timestamp (written just before
 * its commit) to its arrival.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { BenchDatabase } from './database.ts';
import { ask } from './fanout.ts';
import { summarize } from './stats.ts';
import { TripSource } from './workload.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const LEG_STEP = 20;
const SETTLE_TIMEOUT_MS = 10_000;

export interface RelayRun {
  /** Updates received / committed changes of the watched flights during the run. */
  received: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
}

export interface RelayWatch {
  subscribers: number;
  connectFailures: number;
  /** Measures the relay around `run`. */
  during<T>(run: () => Promise<T>): Promise<{ result: T; relay: RelayRun }>;
  close(): Promise<void>;
}

export async function watchRelay(db: BenchDatabase, apiUrl: string, subscribers: number): Promise<RelayWatch> {
  const trips = new TripSource(db.flights);
  const legs = Array.from({ length: subscribers }, (_, i) => trips.legAt(i * LEG_STEP));
  const flights = legs.map((leg) => ({ flightNumber: leg.flightNumber, date: leg.date }));
  const child = fork(path.join(here, 'fanoutClients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const client = new pg.Client({ connectionString: db.url, application_name: 'blackjet-bench' });
  await client.connect();
  const versions = async () => {
    const { rows } = await client.query<{ key: string; version: number }>(
      `select f.flight_number || ' ' || to_char(f.flight_date, 'DD/MM/YYYY') as key, f.seats_version::int as version
         from flights f join unnest($1::text[], $2::date[]) as w(n, d) on f.flight_number = w.n and f.flight_date = w.d`,
      [legs.map((l) => l.flightNumber), legs.map((l) => l.isoDate)]);
    return new Map(rows.map((r) => [r.key, r.version]));
  };
  const { failures } = await ask<{ failures: number }>(child, { type: 'spread', url: apiUrl, flights }, 'connected');
  return {
    subscribers,
    connectFailures: failures,
    async during(run) {
      const before = await versions();
      await ask(child, { type: 'mark' }, 'marked');
      const result = await run();
      const after = await versions();
      const expected: Record<string, number> = {};
      for (const [key, version] of after) if (version > before.get(key)!) expected[key] = version - before.get(key)!;
      const report = await ask<{ lags: number[]; updates: Record<string, number> }>(child,
        { type: 'report', since: Object.fromEntries(before), expected, timeoutMs: SETTLE_TIMEOUT_MS }, 'reported');
      const lag = summarize(report.lags);
      return {
        result,
        relay: {
          received: Object.values(report.updates).reduce((a, b) => a + b, 0),
          expected: Object.values(expected).reduce((a, b) => a + b, 0),
          p50: lag.p50, p99: lag.p99, max: lag.max,
        },
      };
    },
    async close() {
      await client.end();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.send({ type: 'close' });
        await exited;
      }
    },
  };
}
