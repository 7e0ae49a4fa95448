/**
 * `npm start`: database (embedded unless DATABASE_URL), migrations, seed data if the database is empty,
 * then the API on PORT (see boot.ts).
 *
 * Shutdown on SIGTERM/SIGINT, in this order: stop accepting connections, let requests in flight finish
 * (at most SHUTDOWN_TIMEOUT_MS), tell WebSocket clients and disconnect them, close the listener and the
 * pool, and stop the embedded database last. A second signal exits at once.
 */
import { bootDatabase, bootServer, runEntryPoint, stopOnSignal } from './boot.ts';
import { loadConfig } from './config.ts';
import { log } from './log.ts';

runEntryPoint(async () => {
  const config = loadConfig();
  const database = await bootDatabase(config);
  const server = await bootServer(config, database).catch(async (e: unknown) => {
    await database.stop();
    throw e;
  });
  stopOnSignal(async (signal) => {
    log.info({ signal, inFlight: server.inFlight() }, 'shutting down');
    await server.close(config.shutdownTimeoutMs);
    await database.stop();
    log.info('stopped');
    process.exit(0);
  });
});
