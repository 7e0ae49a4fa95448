/**
 * A process full of real socket.io clients (websocket transport only), each its own connection,
 * subscribed to one flight. It notes when every `seats_updated` arrives, on the machine's monotonic
 * clock (shared by all processes), and hands the times to the bench over IPC.
 *
 * IPC: `connect` {url, count, flightNumber, date} -> `connected` {failures}
 *      `collect` {version, timeoutMs}             -> `collected` {times: ms[] of the sockets that got it}
 *      `close`                                    -> exits
 */
import { io, type Socket } from 'socket.io-client';

interface Connect { type: 'connect'; url: string; count: number; flightNumber: string; date: string }
interface Collect { type: 'collect'; version: number; timeoutMs: number }

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

process.on('message', (message: Connect | Collect | { type: 'close' }) => {
  if (message.type === 'connect') {
    void connectAll(message).then((failures) => process.send!({ type: 'connected', failures }));
  } else if (message.type === 'collect') {
    void collect(message).then((times) => process.send!({ type: 'collected', times }));
  } else {
    for (const socket of sockets) socket.close();
    process.exit(0);
  }
});
