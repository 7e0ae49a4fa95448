/**
 * `npm start`: database (embedded unless DATABASE_URL), migrations, seed data if the database is empty,
 * then the API on PORT. Stops cleanly on SIGINT/SIGTERM; a second signal exits at once.
 */
import pg from 'pg';
import { ConfigError, loadConfig } from './config.ts';
import { EmbeddedStartError } from './db/embedded.ts';
import { provisionDatabase } from './db/provision.ts';
import { SeedError, seedIfEmpty } from './seed/loader.ts';
import { startServer } from './server.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const database = await provisionDatabase(config);
  if (database.embedded) {
    console.log(`embedded PostgreSQL on ${config.dataDir}\n  connect with: psql ${database.url}`);
  }

  const client = new pg.Client({ connectionString: database.url, application_name: 'blackjet-seed' });
  await client.connect();
  try {
    const seeded = await seedIfEmpty(client, config.seedDir);
    if (seeded) console.log(`seeded ${seeded.users} users, ${seeded.flights} flights, ${seeded.seats} seats from ${config.seedDir}`);
  } finally {
    await client.end();
  }

  const server = await startServer({
    databaseUrl: database.url,
    port: config.port,
    maxSubscriptionsPerSocket: config.maxSubscriptionsPerSocket,
    app: { corsOrigins: config.corsOrigins },
  });
  console.log(`BlackJet listening on ${server.url} (API docs: ${server.url}/docs)`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: shutting down`);
    await server.close();
    await database.stop();
    process.exit(0);
  };
  process.on('SIGINT', (s) => void stop(s));
  process.on('SIGTERM', (s) => void stop(s));
}

main().catch((e: unknown) => {
  // Problems a person can fix get their message only; anything else gets the full error.
  const known = e instanceof ConfigError || e instanceof EmbeddedStartError || e instanceof SeedError;
  console.error(known ? `blackjet: ${(e as Error).message}` : e);
  process.exit(1);
});
