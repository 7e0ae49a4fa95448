/**
 * `npm start`: the API on PORT (see boot.ts). Without DATABASE_URL it runs the embedded database and sets
 * it up (migrations, the API role, demo data when empty); with DATABASE_URL it connects as that role only
 * and migrates or loads demo data only when asked (MIGRATION_DATABASE_URL, SEED=demo).
 *
 * Shutdown on SIGTERM/SIGINT, in this order: stop accepting connections, let requests in flight finish
 * (at most SHUTDOWN_TIMEOUT_MS), tell WebSocket clients and disconnect them, close the listener and the
 * pool, and stop the embedded database last. A second signal exits at once.
 */
import { bootDatabase, bootServer, runEntryPoint, stopOnSignal } from './boot.ts';
import { loadConfig } from './config.ts';
import { log } from './log.ts';
import { assertPortAvailable } from './server.ts';

runEntryPoint(async () => {
  const config = loadConfig();
  await assertPortAvailable(config.port); // before the database starts: a busy port is a one-line message
  const database = await bootDatabase(config, 'serve');
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
