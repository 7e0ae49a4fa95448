/**
 * `npm run start:pair`: two API instances on one database, as they run behind a load balancer, on
 * ports PORT and PORT+1 (3000 and 3001 by default). A booking through one reaches WebSocket subscribers
 * of both: PostgreSQL is all they share. Uses the embedded database unless DATABASE_URL is set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { ConfigError, loadConfig, PROJECT_ROOT } from '../config.ts';
import { EmbeddedStartError } from '../provision/embedded.ts';
import { provisionDatabase } from '../provision/database.ts';
import { log } from '../log.ts';
import { SeedError, seedIfEmpty } from '../provision/seed.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const database = await provisionDatabase(config);
  const client = new pg.Client({ connectionString: database.ownerUrl, application_name: 'blackjet-seed' });
  await client.connect();
  await seedIfEmpty(client, config.seedDir).finally(() => client.end());
  if (database.embedded) process.stdout.write(`connect with: psql ${database.ownerUrl}\n`);

  const instances: ChildProcess[] = [0, 1].map((i) => spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    detached: true, // a Ctrl-C reaches this process only; it stops the instances one signal each
    env: { ...process.env, DATABASE_URL: database.apiUrl, MIGRATION_DATABASE_URL: database.ownerUrl, PORT: String(config.port + i) },
  }));
  const exited = instances.map((child) => new Promise((resolve) => child.once('exit', resolve)));

  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    for (const child of instances) child.kill('SIGTERM');
    await Promise.all(exited);
    await database.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // If one instance dies on its own, stop the pair rather than run half of it.
  for (const child of instances) {
    child.once('exit', (code) => {
      if (!stopping) {
        log.error({ code }, 'an instance exited; stopping the pair');
        void stop();
      }
    });
  }
}

main().catch((e: unknown) => {
  const known = e instanceof ConfigError || e instanceof EmbeddedStartError || e instanceof SeedError;
  process.stderr.write(known ? `blackjet: ${(e as Error).message}\n` : `${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
