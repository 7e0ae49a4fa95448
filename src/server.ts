/**
 * One API instance: a pg pool, the Express app, and the HTTP server that Socket.IO shares.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDb, createPool } from './db/client.ts';
import { type AppOptions, createApp } from './http/app.ts';

export interface ServerOptions {
  databaseUrl: string;
  port: number;
  host?: string;
  poolSize?: number;
  /** CORS origins and the readiness probe of the listener (see AppOptions). */
  app?: AppOptions;
}

export interface RunningServer {
  url: string;
  httpServer: Server;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const pool = createPool({ url: options.databaseUrl, applicationName: 'blackjet-api', max: options.poolSize });
  const app = createApp(createDb(pool), options.app);
  const httpServer = createServer(app);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;

  return {
    url: `http://localhost:${port}`,
    httpServer,
    async close() {
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeIdleConnections();
      });
      await pool.end();
    },
  };
}
