/**
 * `npm run db:migrate` / `npm run db:seed`: the same steps `npm start` runs, on their own.
 * db:seed loads seed_data/ even into a database that has bookings: rows that exist are left alone.
 */
import pg from 'pg';
import { ConfigError, loadConfig } from '../config.ts';
import { EmbeddedStartError } from './embedded.ts';
import { provisionDatabase } from './provision.ts';
import { loadSeedData, readSeedData, SeedError } from '../seed/loader.ts';

async function run(command: string | undefined): Promise<void> {
  if (command !== 'migrate' && command !== 'seed') throw new ConfigError('usage: cli.ts migrate|seed');
  const config = loadConfig();
  const data = command === 'seed' ? readSeedData(config.seedDir) : undefined; // fail before starting anything
  const database = await provisionDatabase(config);
  try {
    console.log('migrations applied');
    if (data) {
      const client = new pg.Client({ connectionString: database.url, application_name: 'blackjet-seed' });
      await client.connect();
      try {
        const added = await loadSeedData(client, data);
        console.log(`seed loaded: ${added.users} users, ${added.flights} flights, ${added.seats} seats added`);
      } finally {
        await client.end();
      }
    }
  } finally {
    await database.stop();
  }
}

run(process.argv[2]).then(() => process.exit(0), (e: unknown) => {
  const known = e instanceof ConfigError || e instanceof EmbeddedStartError || e instanceof SeedError;
  console.error(known ? `blackjet: ${(e as Error).message}` : e);
  process.exit(1);
});
