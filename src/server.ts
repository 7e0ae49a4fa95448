/**
 * One API instance: a pg pool for queries, one LISTEN connection for changes, the Express app, the
 * Socket.IO gateway on the same HTTP server, and metrics over all of it.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { type AuthRouteOptions } from './http/auth.ts';
import { Tokens, type TokenSettings } from './auth/tokens.ts';
import { ConfigError } from './config.ts';
import { BookingQueue, type BookingQueueOptions } from './db/bookingQueue.ts';
import { DEFAULT_BOOKING_BATCH_MAX, DEFAULT_BOOKING_CONNECTIONS } from './db/sizes.ts';
import { createDb, createPool, DEFAULT_READ_STATEMENT_TIMEOUT_MS, READ_POOL_SIZE } from './db/client.ts';
import { DEFAULT_HOLD_SWEEP_MS, startHoldSweeper } from './db/holds.ts';
import { type AppOptions, createApp } from './http/app.ts';
import { compileTrust } from './auth/clientIp.ts';
import { log as processLog, type Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { SeatGateway } from './realtime/gateway.ts';
import { SeatChangeListener } from './realtime/listener.ts';

export interface ServerOptions {
  databaseUrl: string;
  /** The key seat-change notifications are signed with (readNotificationKey, through the owner's connection). */
  notificationKey: Buffer;
  port: number;
  host?: string;
  poolSize?: number;
  /** BOOKING_BATCH_MAX and BOOKING_CONNECTIONS (see src/db/bookingQueue.ts). Default: their defaults. */
  booking?: BookingQueueOptions;
  maxSubscriptionsPerSocket?: number;
  /** WS_MAX_CONNECTIONS_PER_IP; 0 or unset: no limit. */
  maxConnectionsPerIp?: number;
  logger?: Logger;
  /** READ_STATEMENT_TIMEOUT_MS: the read pool's statement timeout. Default 2 s. */
  readStatementTimeoutMs?: number;
  /** REQUEST_TIMEOUT_MS: a request (headers and body) not received within this is cut with 408. Default 30 s. */
  requestTimeoutMs?: number;
  /** CORS origins, rate limits, trust proxy (see AppOptions). */
  app?: Pick<AppOptions, 'corsOrigins' | 'bookingsPerMinute' | 'readsPerMinute' | 'cancellationsPerMinute' | 'trustProxy' | 'holdTtlSeconds'>;
  /**
   * Identity: `{ mode: 'none' }` (the open contract) or `{ mode: 'jwt', secret, issuer, audience, jwks? }`.
   * Required: no server gets the open contract by accident.
   */
  auth: ({ mode: 'none' } | ({ mode: 'jwt' } & TokenSettings)) & AuthRouteOptions;
  /**
   * /metrics: `port` serves it on its own port (and not on the API's); else `token` protects it on the API's
   * port; else it is open on the API's port with AUTH_MODE=none and not served with jwt.
   */
  metrics?: { port?: number; token?: string };
  /** How often this instance runs the hold sweeper (expire_holds). Default 500 ms. */
  holdSweepIntervalMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface RunningServer {
  url: string;
  httpServer: Server;
  gateway: SeatGateway;
  listener: SeatChangeListener;
  metrics: Metrics;
  /** The /metrics URL when it has its own port (METRICS_PORT). */
  metricsUrl?: string;
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
  const readPool = createPool({
    url: options.databaseUrl, applicationName: 'blackjet-api-read', max: READ_POOL_SIZE,
    statementTimeoutMs: options.readStatementTimeoutMs ?? DEFAULT_READ_STATEMENT_TIMEOUT_MS,
  });
  const readDb = createDb(readPool);
  const listener = new SeatChangeListener(options.databaseUrl, options.notificationKey, logger);
  const tokens = options.auth.mode === 'jwt' ? new Tokens(options.auth) : undefined;
  if (!tokens) logger.warn('AUTH_MODE=none: NO AUTHENTICATION. Anyone can book, read and cancel any booking as any user (the open contract)');
  const gateway = new SeatGateway({
    db: readDb,
    listener,
    maxSubscriptionsPerSocket: options.maxSubscriptionsPerSocket ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
    maxConnectionsPerIp: options.maxConnectionsPerIp,
    trust: compileTrust(options.app?.trustProxy ?? 0),
    corsOrigins: options.app?.corsOrigins,
    tokens,
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
  const metricsPort = options.metrics?.port;
  const metricsToken = options.metrics?.token;
  const metricsAccess = metricsPort !== undefined ? 'off' as const
    : metricsToken ? { token: metricsToken }
      : tokens ? 'off' as const : 'open' as const;
  if (tokens && metricsPort === undefined && !metricsToken) logger.warn('/metrics is not served: set METRICS_PORT or METRICS_TOKEN');
  const app = createApp(db, {
    ...options.app,
    bookingQueue: new BookingQueue(db, { ...(options.booking ?? DEFAULT_BOOKING), onBatch: (size) => metrics.bookingBatchSize.observe(size) }),
    logger,
    metrics,
    metricsAccess,
    auth: {
      tokens,
      loginsPerIpPerMinute: options.auth.loginsPerIpPerMinute,
      failedLoginsPerAccount: options.auth.failedLoginsPerAccount,
    },
    readDb,
    isListenerConnected: () => listener.isConnected(),
  });
  // Metrics on their own port: reachable by the scraper's network only, never through the public one.
  const metricsServer = metricsPort === undefined ? undefined : createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
    }, () => res.writeHead(500).end());
  });

  let active = 0;
  let stopping = false;
  // A client must send its whole request (headers and body) within requestTimeout, its headers within
  // headersTimeout, or get 408 and lose the connection: a body announced and never sent holds nothing for
  // long. Node checks these every connectionsCheckingInterval (30 s by default: too coarse for a 30 s limit).
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const httpServer = createServer({
    requestTimeout,
    headersTimeout: Math.min(requestTimeout, 10_000),
    connectionsCheckingInterval: Math.min(1_000, requestTimeout),
  }, (req, res) => {
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
  listener.on('dropped', (_channel, reason) => metrics.notificationsDropped.inc({ reason }));
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
    if (metricsServer) {
      await new Promise<void>((resolve, reject) => {
        metricsServer.once('error', reject);
        metricsServer.listen(metricsPort, options.host, () => {
          metricsServer.off('error', reject);
          resolve();
        });
      });
    }
  } catch (e) {
    httpServer.close();
    metricsServer?.close();
    await gateway.close();
    await listener.close();
    await Promise.all([pool.end(), readPool.end()]);
    throw e;
  }
  const { port } = httpServer.address() as AddressInfo;

  const metricsUrl = metricsServer ? `http://localhost:${(metricsServer.address() as AddressInfo).port}/metrics` : undefined;
  // Every instance runs one; expire_holds() lets one of them sweep at a time. It starts once the server
  // listens and stops before the pool closes.
  const sweeper = startHoldSweeper(db, {
    intervalMs: options.holdSweepIntervalMs ?? DEFAULT_HOLD_SWEEP_MS,
    logger,
    onExpired: (n) => metrics.holdsExpired.inc(n),
  });

  return {
    url: `http://localhost:${port}`,
    metricsUrl,
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
      await sweeper.stop();
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      await listener.close();
      await Promise.all([pool.end(), readPool.end()]);
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
