/**
 * A process full of real socket.io clients (websocket transport only), each its own connection,
 * subscribed to one flight. It notes when every `seats_updated` arrives, on the machine's monotonic
 * clock (shared by all processes), and hands the times to the bench over IPC.
 *
 * IPC: `connect` {url, count, flightNumber, date} -> `connected` {failures}
 *      `collect` {version, timeoutMs}             -> `collected` {times: ms[] of the sockets that got it}
 *      `spread` {url, flights: [{flightNumber, date}]} -> `connected` {failures}: one socket per flight
 *      `mark`                                     -> `marked`: forget what spread sockets received so far
 *      `report` {since, expected, timeoutMs}      -> `reported` {lags: ms[], updates: {"<flight> <date>": versions received}},
 *        once every flight got `expected[key]` versions newer than `since[key]` (or after timeoutMs)
 *      `close`                                    -> exits
 * A spread socket's lag is from the change's `timestamp` (written just before its commit, wall clock)
 * to its arrival (wall clock of the same machine).
 */
import { io, type Socket } from 'socket.io-client';

interface Connect { type: 'connect'; url: string; count: number; flightNumber: string; date: string }
interface Collect { type: 'collect'; version: number; timeoutMs: number }
interface Spread { type: 'spread'; url: string; flights: { flightNumber: string; date: string }[] }

interface Report { type: 'report'; since: Record<string, number>; expected: Record<string, number>; timeoutMs: number }

let spreadLags: number[] = [];
let spreadUpdates = new Map<string, Set<number>>();
let onSpreadUpdate: (() => void) | undefined;

/** Versions newer than `since` received per flight, once all expected arrived or the time is up. */
function report({ since, expected, timeoutMs }: Report): Promise<Record<string, number>> {
  const newer = () => Object.fromEntries([...spreadUpdates].map(([key, versions]) =>
    [key, [...versions].filter((v) => v > (since[key] ?? 0)).length]));
  const complete = () => {
    const got = newer();
    return Object.entries(expected).every(([key, n]) => (got[key] ?? 0) >= n);
  };
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      onSpreadUpdate = undefined;
      resolve(newer());
    };
    const timer = setTimeout(done, timeoutMs);
    onSpreadUpdate = () => { if (complete()) done(); };
    onSpreadUpdate();
  });
}

async function connectSpread({ url, flights }: Spread): Promise<number> {
  let failures = 0;
  const BATCH = 100;
  for (let start = 0; start < flights.length; start += BATCH) {
    await Promise.all(flights.slice(start, start + BATCH).map(async ({ flightNumber, date }) => {
      const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
      sockets.push(socket);
      socket.on('seats_updated', (update: { flightNumber: string; date: string; version: number; timestamp: string }) => {
        if (update.flightNumber !== flightNumber || update.date !== date) return;
        spreadLags.push(Date.now() - Date.parse(update.timestamp));
        const key = `${flightNumber} ${date}`;
        let versions = spreadUpdates.get(key);
        if (!versions) spreadUpdates.set(key, versions = new Set());
        versions.add(update.version);
        onSpreadUpdate?.();
      });
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('connect_error', reject);
        });
        const snapshot = await socket.timeout(30_000).emitWithAck('subscribe', { flightNumber, date });
        if (snapshot?.error) throw new Error(snapshot.message);
      } catch (e) {
        if (failures++ === 0) console.warn(`relay client: ${(e as Error).message}`);
      }
    }));
  }
  return failures;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sockets: Socket[] = [];
const arrivals = new Map<number, number[]>();
let expected = 0;
let onArrival: (() => void) | undefined;

async function connectAll({ url, count, flightNumber, date }: Connect): Promise<number> {
  expected = count;
  let failures = 0;
  const BATCH = 100; // a burst of thousands of handshakes at once only measures the accept queue
  for (let start = 0; start < count; start += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, count - start) }, async () => {
      const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
      sockets.push(socket);
      socket.on('seats_updated', (update: { flightNumber: string; date: string; version: number }) => {
        const at = nowMs();
        if (update.flightNumber !== flightNumber || update.date !== date) return;
        let list = arrivals.get(update.version);
        if (!list) arrivals.set(update.version, list = []);
        list.push(at);
        onArrival?.();
      });
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('connect_error', reject);
        });
        const snapshot = await socket.timeout(30_000).emitWithAck('subscribe', { flightNumber, date });
        if (snapshot?.error) throw new Error(snapshot.message);
      } catch (e) {
        if (failures++ === 0) console.warn(`fan-out client: ${(e as Error).message}`);
      }
    }));
  }
  return failures;
}

function collect({ version, timeoutMs }: Collect): Promise<number[]> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      onArrival = undefined;
      resolve(arrivals.get(version) ?? []);
    };
    const timer = setTimeout(done, timeoutMs);
    onArrival = () => { if ((arrivals.get(version)?.length ?? 0) >= expected) done(); };
    onArrival();
  });
}

process.on('disconnect', () => process.exit(0)); // the bench is gone

process.on('message', (message: Connect | Collect | Spread | Report | { type: 'mark' | 'close' }) => {
  if (message.type === 'spread') {
    void connectSpread(message).then((failures) => process.send!({ type: 'connected', failures }));
  } else if (message.type === 'mark') {
    spreadLags = [];
    spreadUpdates = new Map();
    process.send!({ type: 'marked' });
  } else if (message.type === 'report') {
    void report(message).then((updates) => process.send!({ type: 'reported', lags: spreadLags, updates }));
  } else if (message.type === 'connect') {
    void connectAll(message).then((failures) => process.send!({ type: 'connected', failures }));
  } else if (message.type === 'collect') {
    void collect(message).then((times) => process.send!({ type: 'collected', times }));
  } else {
    for (const socket of sockets) socket.close();
    process.exit(0);
  }
});
