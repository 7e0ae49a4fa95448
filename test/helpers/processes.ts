/** The API as a separate process (`src/main.ts`), as operators run it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/config.ts';
import { readNotificationKey } from '../../src/provision/notificationKey.ts';
import { asApiRole } from './api.ts';

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

export async function startApiProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<ApiProcess> {
  // The signing key as the recipe hands it to a replica (NOTIFICATION_SIGNING_KEY), read here as the owner.
  const key = await readNotificationKey(databaseUrl).catch(() => undefined);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    // As a replica of the recipe runs: the restricted role only (the test database is migrated already).
    // AUTH_MODE=none (the open contract) unless the test passes its own identity settings.
    env: { ...process.env, DATABASE_URL: asApiRole(databaseUrl), MIGRATION_DATABASE_URL: '', SEED: '', PORT: '0', LOG_LEVEL: 'info',
      AUTH_MODE: 'none', ...(key ? { NOTIFICATION_SIGNING_KEY: key.toString('base64') } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { // a busy machine compiles slowly; a process that never starts is stopped, not left behind
      child.kill('SIGKILL');
      reject(new Error(`API process did not start:\n${output}`));
    }, 90_000);
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(match[1]!.replace(/\)$/, ''));
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`API process exited (${code}):\n${output}`)); });
  });

  return {
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
