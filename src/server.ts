/**
 * One API instance: a pg pool for queries, one LISTEN connection for changes, the Express app, and the
 * Socket.IO gateway on the same HTTP server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDb, createPool } from './db/client.ts';
import { type AppOptions, createApp } from './http/app.ts';
import { SeatGateway } from './realtime/gateway.ts';
import { SeatChangeListener } from './realtime/listener.ts';

export interface ServerOptions {
  databaseUrl: string;
  port: number;
  host?: string;
  poolSize?: number;
  maxSubscriptionsPerSocket?: number;
  /** CORS origins (see AppOptions); readiness is wired to this server's listener. */
  app?: Omit<AppOptions, 'isListenerConnected'>;
}

export interface RunningServer {
  url: string;
  httpServer: Server;
  gateway: SeatGateway;
  listener: SeatChangeListener;
  close(): Promise<void>;
}

export const DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET = 50;

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const pool = createPool({ url: options.databaseUrl, applicationName: 'blackjet-api', max: options.poolSize });
  const db = createDb(pool);
  const listener = new SeatChangeListener(options.databaseUrl);
  const httpServer = createServer(createApp(db, { ...options.app, isListenerConnected: () => listener.isConnected() }));
  const gateway = new SeatGateway(httpServer, {
    db,
    listener,
    maxSubscriptionsPerSocket: options.maxSubscriptionsPerSocket ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
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

  return {
    url: `http://localhost:${port}`,
    httpServer,
    gateway,
    listener,
    async close() {
      httpServer.closeIdleConnections();
      await gateway.close(); // disconnects every socket and closes the HTTP server
      await listener.close();
      await pool.end();
    },
  };
}
