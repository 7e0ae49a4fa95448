/**
 * One API instance in its own process, so its CPU and memory are its own. Started by api.ts through
 * fork(); answers `memory` (after a full GC) and `stop` over IPC.
 */
import { loadConfig } from '../../src/config.ts';
import { readNotificationKey } from '../../src/provision/notificationKey.ts';
import { createLogger } from '../../src/log.ts';
import { startServer } from '../../src/server.ts';

const databaseUrl = process.env.BENCH_DATABASE_URL;
if (!databaseUrl || !process.send) throw new Error('apiProcess.ts is started by the bench (api.ts), not on its own');
const poolSize = process.env.BENCH_POOL_SIZE ? Number(process.env.BENCH_POOL_SIZE) : undefined;

// Warnings only: the per-request and per-booking info lines (LOG_LEVEL=info in production) would bury the
// bench's table. BENCH_LOG_LEVEL=info measures with them.
const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL || 'warn' });
// BOOKING_BATCH_MAX and BOOKING_CONNECTIONS as in production (api.ts sets them for the unbatched instance).
const { booking } = loadConfig(process.env);
// The open contract: the bench measures booking, and its reference figures were taken without tokens.
const notificationKey = await readNotificationKey(databaseUrl); // the bench connects as the owner
const server = await startServer({ databaseUrl, notificationKey, port: 0, host: '127.0.0.1', poolSize, logger, booking, auth: { mode: 'none' } });
process.send({ type: 'ready', url: server.url });

let stopping = false;
const stop = () => {
  if (!stopping) void server.close().finally(() => process.exit(0));
  stopping = true;
};
// The bench is gone (killed, interrupted): go too, rather than retry a dropped database forever.
process.on('disconnect', stop);

process.on('message', (message: { type: string }) => {
  if (message.type === 'memory') {
    // Twice: the first collection can leave garbage that only the second frees.
    globalThis.gc?.();
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    process.send!({ type: 'memory', rss, heapUsed, sockets: server.gateway.counts().sockets });
  } else if (message.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send!({ type: 'cpu', micros: user + system });
  } else if (message.type === 'stop') {
    stop();
  }
});
