/**
 * Database chores, the same steps `npm start` runs, on their own:
 *   npm run db:migrate           apply migrations (as MIGRATION_DATABASE_URL, else DATABASE_URL)
 *   npm run db:seed              load seed_data/; rows that exist are left alone, live bookings too
 *   npm run db:create-api-role   create role blackjet_api (password API_DB_PASSWORD) and grant its rights
 */
import pg from 'pg';
import { runEntryPoint } from '../boot.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { API_ROLE, apiRoleUrl, ensureApiRole } from '../provision/apiRole.ts';
import { provisionDatabase } from '../provision/database.ts';
import { loadSeedData, readSeedData } from '../provision/seed.ts';

const COMMANDS = ['migrate', 'seed', 'create-api-role'] as const;

async function run(command: string | undefined): Promise<void> {
  if (!COMMANDS.includes(command as never)) throw new ConfigError(`usage: npm run db:${COMMANDS.join('|')}`);
  const config = loadConfig();
  const data = command === 'seed' ? readSeedData(config.seedDir) : undefined; // fail before starting anything
  const password = process.env.API_DB_PASSWORD;
  if (command === 'create-api-role' && config.databaseUrl && !password) {
    throw new ConfigError('API_DB_PASSWORD is required: the password for the new blackjet_api role');
  }
  const database = await provisionDatabase(config, 'setup');
  try {
    process.stdout.write('migrations applied\n');
    if (data) {
      const client = new pg.Client({ connectionString: database.ownerUrl, application_name: 'blackjet-seed' });
      await client.connect();
      try {
        const added = await loadSeedData(client, data);
        process.stdout.write(`seed loaded: ${added.users} users, ${added.flights} flights, ${added.seats} seats added\n`);
      } finally {
        await client.end();
      }
    }
    if (command === 'create-api-role' && password) {
      await ensureApiRole(database.ownerUrl, password);
      const url = new URL(apiRoleUrl(database.ownerUrl, password));
      url.password = '***';
      process.stdout.write(`role ${API_ROLE} ready; run the API with DATABASE_URL=${url} (and MIGRATION_DATABASE_URL as the owner)\n`);
    }
  } finally {
    await database.stop();
  }
}

runEntryPoint(() => run(process.argv[2]), { exitWhenDone: true });
