/**
 * Fan-out: `subscribers` socket.io clients watch FANOUT_FLIGHT, spread over `instances` API processes
 * (each with its own LISTEN connection), the clients in one child process per instance. Each run books
 * one seat on that flight through instance 0 and measures, for every client, the time from the moment
 * the 201 reached the bench to that client's `seats_updated` (negative: the update beat the 201), and
 * its p99 from when the request was sent. Also
 * how many clients got it, and the API processes' memory per connected, subscribed client.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openHttpPool, postBooking, startApiChild, type ApiChild, type MemoryUsage } from './api.ts';
import { type BenchDatabase, FANOUT_FLIGHT } from './database.ts';
import { nowMs, summarize } from './stats.ts';
import { bookingRequest, TripSource } from './workload.ts';
import { query } from '../helpers/api.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const COLLECT_TIMEOUT_MS = 10_000;

export interface FanoutRun {
  p50: number; p99: number; max: number; received: number; expected: number;
  /** The same p99, counted from the moment the booking request was sent (includes the booking itself). */
  p99FromRequest: number;
}

export interface FanoutResult {
  subscribers: number;
  instances: number;
  connectFailures: number;
  runs: FanoutRun[];
  /** Growth of the API processes' RSS and JS heap (after GC) per connected, subscribed client, bytes. */
  rssPerClient: number;
  heapPerClient: number;
}

export async function runFanout(db: BenchDatabase, options: {
  subscribers: number;
  instances: number;
  runs: number;
  cpuProfileDir?: string;
}): Promise<FanoutResult> {
  const { subscribers, instances } = options;
  if (options.runs > 7) throw new Error('fan-out books one seat of an 8-seat flight per run (plus a warm-up): at most 7 runs');
  const apis: ApiChild[] = [];
  const clients: ChildProcess[] = [];
  try {
    for (let i = 0; i < instances; i++) apis.push(await startApiChild({ databaseUrl: db.url, cpuProfileDir: options.cpuProfileDir }));
    const before = await Promise.all(apis.map((api) => api.memory()));

    const shares = apis.map((_, i) => Math.floor(subscribers / instances) + (i < subscribers % instances ? 1 : 0));
    const replies = await Promise.all(apis.map((api, i) => {
      const child = fork(path.join(here, 'fanoutClients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      clients.push(child);
      return ask<{ failures: number }>(child, { type: 'connect', url: api.url, count: shares[i], ...FANOUT_FLIGHT }, 'connected');
    }));
    const connectFailures = replies.reduce((sum, r) => sum + r.failures, 0);
    const after = await Promise.all(apis.map((api) => api.memory()));
    const growth = (key: keyof MemoryUsage) => after.reduce((sum, a, i) => sum + a[key] - before[i]![key], 0) / subscribers;

    const pool = await openHttpPool(apis[0]!.url, 1);
    const trips = new TripSource(db.flights);
    const runs: FanoutRun[] = [];
    try {
      // Seat 8 warms the path up (JIT, connections) and is not counted; then seats 1, 2, ...
      for (const seat of [8, ...Array.from({ length: options.runs }, (_, i) => i + 1)]) {
        const sentAt = nowMs();
        const response = await postBooking(pool, bookingRequest({ outbound: { ...FANOUT_FLIGHT, seat }, inbound: trips.nextLeg(), userId: seat }));
        const createdAt = nowMs();
        if (response.status !== 201) throw new Error(`fan-out booking: HTTP ${response.status} ${response.body}`);
        const [{ version }] = await query(db.url, 'select seats_version::int as version from flights where flight_number = $1',
          [FANOUT_FLIGHT.flightNumber]);
        const times = (await Promise.all(clients.map((child) =>
          ask<{ times: number[] }>(child, { type: 'collect', version, timeoutMs: COLLECT_TIMEOUT_MS }, 'collected')))).flatMap((r) => r.times);
        if (seat === 8) continue;
        const latency = summarize(times.map((t) => t - createdAt));
        const fromRequest = summarize(times.map((t) => t - sentAt));
        runs.push({ p50: latency.p50, p99: latency.p99, max: latency.max, received: times.length, expected: subscribers,
          p99FromRequest: fromRequest.p99 });
      }
    } finally {
      await pool.close();
    }
    return { subscribers, instances, connectFailures, runs, rssPerClient: growth('rss'), heapPerClient: growth('heapUsed') };
  } finally {
    for (const child of clients) if (child.exitCode === null) child.send({ type: 'close' });
    await Promise.all(clients.map((child) => child.exitCode === null ? new Promise((r) => child.once('exit', r)) : undefined));
    await Promise.all(apis.map((api) => api.stop()));
  }
}

/** Sends `message` to a client process and resolves with its reply of type `replyType`. */
export function ask<T>(child: ChildProcess, message: object, replyType: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = () => reject(new Error('a socket client process exited'));
    const onMessage = (m: { type: string }) => {
      if (m.type !== replyType) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
}
