/**
 * `npm start`: database (embedded unless DATABASE_URL), migrations, seed data if the database is empty,
 * then the API on PORT.
 *
 * Shutdown on SIGTERM/SIGINT, in this order: stop accepting connections, let requests in flight finish
 * (at most SHUTDOWN_TIMEOUT_MS), tell WebSocket clients and disconnect them, close the listener and the
 * pool, and stop the embedded database last. A second signal exits at once.
 */
import pg from 'pg';
import { ConfigError, loadConfig } from './config.ts';
import { EmbeddedStartError } from './db/embedded.ts';
import { provisionDatabase } from './db/provision.ts';
import { log } from './log.ts';
import { SeedError, seedIfEmpty } from './seed/loader.ts';
import { startServer } from './server.ts';

const DEMO_SCHEDULE_DAYS = 28;

async function main(): Promise<void> {
  const config = loadConfig();
  const database = await provisionDatabase(config);
  if (database.embedded) {
    log.info({ dataDir: config.dataDir }, 'embedded PostgreSQL started');
    // The owner's connection string is printed for the developer at the terminal, not logged as a field.
    process.stdout.write(`connect with: psql ${database.ownerUrl}\n`);
  }

  const client = new pg.Client({ connectionString: database.ownerUrl, application_name: 'blackjet-seed' });
  await client.connect();
  try {
    const seeded = await seedIfEmpty(client, config.seedDir);
    if (seeded) log.info({ ...seeded }, 'seeded an empty database');
    if (seeded && database.embedded) {
      // The embedded demo also gets a schedule to search: four weeks of flights between a dozen airports.
      const { rows } = await client.query<{ added: number }>(
        `select generate_demo_schedule(current_date, ${DEMO_SCHEDULE_DAYS}) as added`);
      log.info({ flights: rows[0]?.added }, 'generated the demo schedule');
    }
  } finally {
    await client.end();
  }

  const server = await startServer({
    databaseUrl: database.apiUrl,
    port: config.port,
    maxSubscriptionsPerSocket: config.maxSubscriptionsPerSocket,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    logger: log,
    app: { corsOrigins: config.corsOrigins, bookingsPerMinute: config.bookingsPerMinute, trustProxy: config.trustProxy },
  });
  log.info({ url: server.url }, 'BlackJet listening');
  process.stdout.write(`BlackJet listening on ${server.url} (API docs: ${server.url}/docs)\n`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, inFlight: server.inFlight() }, 'shutting down');
    try {
      await server.close(config.shutdownTimeoutMs);
      await database.stop();
      log.info('stopped');
      process.exit(0);
    } catch (e) {
      log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', (s) => void stop(s));
  process.on('SIGTERM', (s) => void stop(s));
}

main().catch((e: unknown) => {
  // Problems a person can fix get their message only; anything else gets the full error.
  const known = e instanceof ConfigError || e instanceof EmbeddedStartError || e instanceof SeedError;
  process.stderr.write(known ? `blackjet: ${(e as Error).message}\n` : `${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
