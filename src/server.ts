/**
 * One API instance: a pg pool for queries, one LISTEN connection for changes, the Express app, the
 * Socket.IO gateway on the same HTTP server, and metrics over all of it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { createDb, createPool } from './db/client.ts';
import { DEFAULT_HOLD_SWEEP_MS, startHoldSweeper } from './db/holds.ts';
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
  maxSubscriptionsPerSocket?: number;
  /** WS_MAX_CONNECTIONS_PER_IP; 0 or unset: no limit. */
  maxConnectionsPerIp?: number;
  logger?: Logger;
  /** CORS origins, booking rate limit, trust proxy (see AppOptions). */
  app?: Pick<AppOptions, 'corsOrigins' | 'bookingsPerMinute' | 'trustProxy' | 'holdTtlSeconds'>;
  /** How often this instance runs the hold sweeper (expire_holds). Default 500 ms. */
  holdSweepIntervalMs?: number;
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

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? processLog;
  const pool = createPool({ url: options.databaseUrl, applicationName: 'blackjet-api', max: options.poolSize });
  const db = createDb(pool);
  const listener = new SeatChangeListener(options.databaseUrl, logger);
  let gateway: SeatGateway | undefined;
  const metrics = new Metrics({
    pool,
    realtimeCounts: () => gateway?.counts() ?? { sockets: 0, subscriptions: 0 },
    notificationQueueUsage: async () => {
      const { rows } = await db.execute<{ usage: number }>(sql`select pg_notification_queue_usage() as usage`);
      return Number(rows[0]?.usage ?? 0);
    },
  });
  const app = createApp(db, {
    ...options.app,
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
  gateway = new SeatGateway(httpServer, {
    db,
    listener,
    maxSubscriptionsPerSocket: options.maxSubscriptionsPerSocket ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
    maxConnectionsPerIp: options.maxConnectionsPerIp,
    trustProxy: Boolean(options.app?.trustProxy),
    logger,
  });
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
      httpServer.once('error', reject);
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
  const openGateway = gateway;
  // Every instance runs one; expire_holds() lets one of them sweep at a time.
  const sweeper = startHoldSweeper(db, {
    intervalMs: options.holdSweepIntervalMs ?? DEFAULT_HOLD_SWEEP_MS,
    logger,
    onExpired: (n) => metrics.holdsExpired.inc(n),
  });

  return {
    url: `http://localhost:${port}`,
    httpServer,
    gateway: openGateway,
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
      await openGateway.close(); // WebSocket clients get server_shutdown, then are disconnected
      httpServer.closeAllConnections();
      await sweeper.stop();
      await listener.close();
      await pool.end();
    },
  };
}
