/**
 * The boot sequence, written once for every entry point (`npm start`, `npm run start:pair`, the db
 * chores): read the configuration, get a migrated database, seed it when empty, start the API, stop on
 * a signal, and turn a failure into one line for the problems a person can fix.
 */
import { identitySettings } from './auth/settings.ts';
import { type Config, ConfigError } from './config.ts';
import { log } from './log.ts';
import { loadDemoDataIfWanted, provisionDatabase, type ProvisionedDatabase } from './provision/database.ts';
import { EmbeddedStartError } from './provision/embedded.ts';
import { readNotificationKey } from './provision/notificationKey.ts';
import { SeedError } from './provision/seed.ts';
import { type RunningServer, startServer } from './server.ts';

/**
 * Runs an entry point. A failure a person can fix (configuration, the embedded database, seed files)
 * prints its message only; anything else prints the full error. Both exit 1. With `exitWhenDone`, a
 * success exits 0 (for one-shot commands, whose pools and clients are closed by then anyway).
 */
export function runEntryPoint(entry: () => Promise<void>, { exitWhenDone = false } = {}): void {
  entry().then(() => { if (exitWhenDone) process.exit(0); }, (e: unknown) => {
    const known = e instanceof ConfigError || e instanceof EmbeddedStartError || e instanceof SeedError;
    process.stderr.write(known ? `blackjet: ${(e as Error).message}\n` : `${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  });
}

/**
 * A migrated database (embedded unless DATABASE_URL), with the demo data where it is wanted (see
 * provision/database.ts: `serve` keeps an API instance to its own role unless asked for more).
 */
export async function bootDatabase(config: Config, purpose: 'setup' | 'serve'): Promise<ProvisionedDatabase> {
  const database = await provisionDatabase(config, purpose);
  try {
    const seeded = await loadDemoDataIfWanted(config, database);
    if (seeded) log.info({ ...seeded }, 'seeded an empty database');
  } catch (e) {
    await database.stop();
    throw e;
  }
  if (database.embedded) {
    log.info({ dataDir: config.dataDir }, 'embedded PostgreSQL started');
    // The owner's connection string is printed for the developer at the terminal, not logged as a field.
    process.stdout.write(`connect with: psql ${database.ownerUrl}\n`);
  }
  return database;
}

/**
 * The seat-notification signing key: the operator's NOTIFICATION_SIGNING_KEY (stored by the owner's step),
 * else the database's own, read through the owner. An instance with neither cannot tell real seat changes
 * from forged ones, so it does not start.
 */
async function notificationKeyOf(config: Config, database: ProvisionedDatabase): Promise<Buffer> {
  if (config.notificationSigningKey) return config.notificationSigningKey;
  if (database.ownerUrl) return readNotificationKey(database.ownerUrl);
  throw new ConfigError('NOTIFICATION_SIGNING_KEY is required when the API is given only its own role (DATABASE_URL without '
    + 'MIGRATION_DATABASE_URL): the same value the setup step (npm run db:migrate) was given');
}

/** One API instance on the database, as configured (identity: auth/settings.ts). */
export async function bootServer(config: Config, database: ProvisionedDatabase): Promise<RunningServer> {
  const server = await startServer({
    databaseUrl: database.apiUrl,
    notificationKey: await notificationKeyOf(config, database),
    port: config.port,
    maxSubscriptionsPerSocket: config.maxSubscriptionsPerSocket,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    booking: config.booking,
    logger: log,
    readStatementTimeoutMs: config.readStatementTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    app: {
      corsOrigins: config.corsOrigins,
      bookingsPerMinute: config.bookingsPerMinute,
      readsPerMinute: config.readsPerMinute,
      cancellationsPerMinute: config.cancellationsPerMinute,
      trustProxy: config.trustProxy,
      holdTtlSeconds: config.holdTtlSeconds,
    },
    auth: await identitySettings(config, database),
    metrics: { port: config.metricsPort, token: config.metricsToken },
  });
  if (server.metricsUrl) log.info({ url: server.metricsUrl }, 'metrics served on their own port');
  log.info({ url: server.url }, 'BlackJet listening');
  process.stdout.write(`BlackJet listening on ${server.url} (API docs: ${server.url}/docs)\n`);
  return server;
}

/**
 * Calls `stop` on the first SIGINT or SIGTERM; a second signal exits at once. `stop` exits the process
 * itself when done; if it throws, the failure is logged and the process exits 1.
 */
export function stopOnSignal(stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    stop(signal).catch((e: unknown) => {
      log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
