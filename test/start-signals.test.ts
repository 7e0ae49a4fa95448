/**
 * The production start paths and their signals, sent where a person or an orchestrator sends them:
 * - `npm start` in a terminal: Ctrl-C reaches npm's whole process group; `kill <npm pid>` reaches npm;
 * - the container: its CMD (src/deploy/Dockerfile) is PID 1 of a new PID namespace and gets SIGTERM/SIGINT.
 * Each must drain exactly once ("shutting down" once, then "stopped", exit 0) and leave no process behind
 * (npm, the server, the embedded PostgreSQL).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../src/config.ts';
import { asApiRole } from './helpers/api.ts';
import { freePort, startTestCluster, type TestCluster } from './helpers/cluster.ts';

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Spawns `command` in its own process group (as a shell runs a job) and waits for "listening on". */
async function startUntilListening(command: string[], env: Record<string, string>): Promise<Started> {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: PROJECT_ROOT, env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /listening on (http:\/\/[^\s)]+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`${command.join(' ')} exited (${code}) before listening:\n${output}`)));
  });
  return { child, url, output: () => output, exited };
}

/** Direct children of a process (Linux /proc). */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

/** Every process below `pid`, found while they run. */
function descendantsOf(pid: number): number[] {
  return childrenOf(pid).flatMap((child) => [child, ...descendantsOf(child)]);
}

/** Alive means running: a zombie waiting for a reaper is gone for our purposes. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function assertDrainedOnce(output: string): void {
  assert.equal(output.match(/"msg":"shutting down"/g)?.length, 1, `one drain:\n${output}`);
  assert.match(output, /"msg":"stopped"/);
  assert.doesNotMatch(output, /second signal/);
}

describe('npm start (embedded PostgreSQL)', () => {
  let parent: string;
  before(() => {
    parent = mkdtempSync(path.join(tmpdir(), 'blackjet-start-'));
    chmodSync(parent, 0o755); // as root, PostgreSQL runs as the postgres user, which must enter it
  });
  after(() => rmSync(parent, { recursive: true, force: true }));

  // How each signal is sent: to the process group (a terminal's Ctrl-C), or to npm's pid (`kill`).
  const cases: [string, NodeJS.Signals, 'group' | 'npm'][] = [
    ['Ctrl-C in the terminal (SIGINT to the whole job)', 'SIGINT', 'group'],
    ['kill -TERM <npm pid>', 'SIGTERM', 'npm'],
    ['kill -INT <npm pid>', 'SIGINT', 'npm'],
  ];
  for (const [name, signal, target] of cases) {
    it(`${name}: one drain, then npm, the server and PostgreSQL are all gone`, async () => {
      const dataDir = path.join(parent, 'postgres');
      const started = await startUntilListening(['npm', 'start'], { BLACKJET_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) });
      const npmPid = started.child.pid!;
      const processes = [npmPid, ...descendantsOf(npmPid)];
      const postgresPid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      assert.ok(processes.includes(postgresPid), 'the embedded PostgreSQL runs below npm start');
      assert.equal((await fetch(`${started.url}/readyz`)).status, 200);

      process.kill(target === 'group' ? -npmPid : npmPid, signal);
      await started.exited;
      assertDrainedOnce(started.output());
      assert.deepEqual(processes.filter(isRunning), [], 'nothing left running');
      assert.equal(existsSync(path.join(dataDir, 'postmaster.pid')), false, 'PostgreSQL shut down cleanly');
    });
  }
});

describe("the image's command as PID 1 of its own PID namespace", () => {
  let cluster: TestCluster;
  before(async () => { cluster = await startTestCluster(); });
  after(async () => { await cluster.stop(); });

  const dockerfile = readFileSync(path.join(PROJECT_ROOT, 'src/deploy/Dockerfile'), 'utf8');
  const command = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
  // As root, as a container runtime does; otherwise in a user namespace of our own.
  const unshare = ['unshare', ...(process.getuid?.() === 0 ? [] : ['--map-root-user']), '--pid', '--fork', '--mount-proc'];

  it('runs node directly (tsx only as its loader), with no npm or tsx process in between', () => {
    assert.equal(command[0], 'node');
    assert.ok(!command.some((part) => part === 'npm' || part.endsWith('/tsx') || part.endsWith('cli.mjs')), command.join(' '));
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to PID 1: one drain, exit 0, the namespace empties`, async () => {
      const url = await cluster.freshDatabase();
      const started = await startUntilListening([...unshare, ...command], { DATABASE_URL: asApiRole(url), MIGRATION_DATABASE_URL: url });
      const [server] = childrenOf(started.child.pid!);
      assert.ok(server, 'unshare forked the server');
      assert.match(readFileSync(`/proc/${server}/status`, 'utf8'), /^NSpid:\s+\d+\s+1$/m, 'the server is PID 1 in its namespace');
      assert.equal((await fetch(`${started.url}/readyz`)).status, 200);

      process.kill(server, signal);
      assert.equal(await started.exited, 0, started.output());
      assertDrainedOnce(started.output());
      assert.equal(isRunning(server), false);
    });
  }
});
