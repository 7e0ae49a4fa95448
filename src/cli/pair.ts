/**
 * `npm run start:pair`: two API instances on one database, as they run behind a load balancer, on
 * ports PORT and PORT+1 (3000 and 3001 by default). A booking through one reaches WebSocket subscribers
 * of both: PostgreSQL is all they share. Uses the embedded database unless DATABASE_URL is set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { bootDatabase, runEntryPoint, stopOnSignal } from '../boot.ts';
import { loadConfig, PROJECT_ROOT } from '../config.ts';
import { log } from '../log.ts';

runEntryPoint(async () => {
  const config = loadConfig();
  const database = await bootDatabase(config, 'setup');

  const instances: ChildProcess[] = [0, 1].map((i) => spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    detached: true, // a Ctrl-C reaches this process only; it stops the instances one signal each
    // The instances get the API role only: migrations and demo data were done above, as the owner.
    env: { ...process.env, DATABASE_URL: database.apiUrl, MIGRATION_DATABASE_URL: '', SEED: '', PORT: String(config.port + i) },
  }));
  const exited = instances.map((child) => new Promise((resolve) => child.once('exit', resolve)));

  let stopping = false;
  const stop = async () => {
    stopping = true;
    for (const child of instances) child.kill('SIGTERM');
    await Promise.all(exited);
    await database.stop();
    process.exit(0);
  };
  stopOnSignal(stop);
  // If one instance dies on its own, stop the pair rather than run half of it.
  for (const child of instances) {
    child.once('exit', (code) => {
      if (!stopping) {
        log.error({ code }, 'an instance exited; stopping the pair');
        void stop();
      }
    });
  }
});
