/**
 * One API instance: a pg pool for queries, one LISTEN connection for changes, the Express app, the
 * Socket.IO gateway on the same HTTP server, and metrics over all of it.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { ConfigError } from './config.ts';
import { BookingQueue, type BookingQueueOptions, DEFAULT_BOOKING_BATCH_MAX, DEFAULT_BOOKING_CONNECTIONS } from './db/bookingQueue.ts';
import { createDb, createPool } from './db/client.ts';
import { type AppOptions, createApp } from './http/app.ts';
import { log as processLog, type Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { SeatGateway } from './realtime/gateway.ts';
import { SeatChangeListener } from './realtime/listener.ts';

export interface ServerOptions {
  databaseUrl: string;
  port: number;
  host?: string;
  poolSize?: number;
  /** BOOKING_BATCH_MAX and BOOKING_CONNECTIONS (see src/db/bookingQueue.ts). Default: their defaults. */
  booking?: BookingQueueOptions;
  maxSubscriptionsPerSocket?: number;
  /** WS_MAX_CONNECTIONS_PER_IP; 0 or unset: no limit. */
  maxConnectionsPerIp?: number;
  logger?: Logger;
  /** CORS origins, booking rate limit, trust proxy (see AppOptions). */
  app?: Pick<AppOptions, 'corsOrigins' | 'bookingsPerMinute' | 'trustProxy'>;
}

export interface RunningServer {
  url: string;
  httpServer: Server;
  gateway: SeatGateway;
  listener: SeatChangeListener;
  metrics: Metrics;
  /** HTTP requests being answered right now. */
  inFlight(): number;
  /**
   * Graceful stop: refuse new connections, let requests in flight finish (at most `drainMs`), tell
   * WebSocket clients and disconnect them, then close the listener and the pool.
   */
  close(drainMs?: number): Promise<void>;
}

export const DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET = 50;
const DEFAULT_BOOKING = { maxBatch: DEFAULT_BOOKING_BATCH_MAX, connections: DEFAULT_BOOKING_CONNECTIONS };

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? processLog;
  const pool = createPool({ url: options.databaseUrl, applicationName: 'blackjet-api', max: options.poolSize });
  const db = createDb(pool);
  const listener = new SeatChangeListener(options.databaseUrl, logger);
  const gateway = new SeatGateway({
    db,
    listener,
    maxSubscriptionsPerSocket: options.maxSubscriptionsPerSocket ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
    maxConnectionsPerIp: options.maxConnectionsPerIp,
    trustProxy: Boolean(options.app?.trustProxy),
    logger,
  });
  const metrics = new Metrics({
    pool,
    realtimeCounts: () => gateway.counts(),
    notificationQueueUsage: async () => {
      const { rows } = await db.execute<{ usage: number }>(sql`select pg_notification_queue_usage() as usage`);
      return Number(rows[0]?.usage ?? 0);
    },
  });
  const app = createApp(db, {
    ...options.app,
    bookingQueue: new BookingQueue(db, { ...(options.booking ?? DEFAULT_BOOKING), onBatch: (size) => metrics.bookingBatchSize.observe(size) }),
    logger,
    metrics,
    isListenerConnected: () => listener.isConnected(),
  });

  let active = 0;
  let stopping = false;
  const httpServer = createServer((req, res) => {
    active++;
    res.once('close', () => { active--; });
    if (stopping) res.setHeader('Connection', 'close'); // no more requests on this connection
    app(req, res);
  });
  gateway.attach(httpServer);
  // After the gateway's own listener, so the lag is measured at the emit.
  listener.on('seats', (change) => {
    metrics.notificationsRelayed.inc();
    metrics.relayLag.observe(Math.max(0, Date.now() - Date.parse(change.timestamp)) / 1000);
  });
  listener.on('dropped', () => metrics.notificationsDropped.inc());
  listener.on('resync', () => {
    metrics.listenerReconnects.inc();
    metrics.resyncs.inc();
  });

  try {
    await listener.start();
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', (e) => reject(portError(e, options.port) ?? e));
      httpServer.listen(options.port, options.host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await gateway.close();
    await listener.close();
    await pool.end();
    throw e;
  }
  const { port } = httpServer.address() as AddressInfo;

  return {
    url: `http://localhost:${port}`,
    httpServer,
    gateway,
    listener,
    metrics,
    inFlight: () => active,
    async close(drainMs = 10_000) {
      stopping = true;
      httpServer.close(); // no new connections
      httpServer.closeIdleConnections();
      const deadline = Date.now() + drainMs;
      while (active > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      if (active > 0) logger.warn({ requests: active }, 'shutdown: requests still running after the drain time; closing them');
      await gateway.close(); // WebSocket clients get server_shutdown, then are disconnected
      httpServer.closeAllConnections();
      await listener.close();
      await pool.end();
    },
  };
}

/** A busy or forbidden HTTP port as the configuration mistake it is, naming PORT; undefined for other errors. */
function portError(e: NodeJS.ErrnoException, port: number | undefined): ConfigError | undefined {
  if (e.code === 'EADDRINUSE') return new ConfigError(`PORT=${port} is already in use: stop what listens there, or set PORT to a free port`);
  if (e.code === 'EACCES') return new ConfigError(`PORT=${port} may not be opened by this user: set PORT to 1024 or above`);
  return undefined;
}

/** Fails fast, before a database is started, when the HTTP port cannot be had (see portError). */
export async function assertPortAvailable(port: number): Promise<void> {
  if (port === 0) return;
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (e: NodeJS.ErrnoException) => reject(portError(e, port) ?? e));
    probe.listen(port, () => probe.close(() => resolve()));
  });
}
