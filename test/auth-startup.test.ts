/**
 * Identity at start: a server in jwt mode without its key refuses, naming the variable; AUTH_MODE=none
 * says loudly what it means; the embedded demo generates its key (mode 0600) and demo accounts whose
 * password it prints, and keeps both across restarts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SECRETS_FILE } from '../src/provision/secrets.ts';
import { PROJECT_ROOT } from '../src/config.ts';
import { SPEC_EXAMPLE } from './helpers/api.ts';
import { bearer } from './helpers/auth.ts';
import { freePort, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { startApiProcess } from './helpers/processes.ts';

const { AUTH_JWT_SECRET: _, AUTH_MODE: __, DATABASE_URL: ___, ...cleanEnv } = process.env;

describe('identity at start', () => {
  it('AUTH_MODE=jwt with DATABASE_URL and no AUTH_JWT_SECRET stops at once, naming the variable', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: PROJECT_ROOT, env: { ...cleanEnv, DATABASE_URL: 'postgres://api:x@127.0.0.1:1/blackjet' }, encoding: 'utf8', timeout: 30_000,
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^blackjet: AUTH_JWT_SECRET is required/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'a message, not a stack trace');
  });

  describe('on a database', () => {
    let cluster: TestCluster;
    before(async () => { cluster = await startTestCluster(); });
    after(async () => { await cluster.stop(); });

    it('AUTH_MODE=none says so loudly at start', async () => {
      const api = await startApiProcess(await cluster.freshDatabase(), { AUTH_MODE: 'none' });
      try {
        assert.match(api.output(), /AUTH_MODE=none: NO AUTHENTICATION/);
      } finally {
        await api.stop();
      }
    });

    it('with AUTH_JWT_SECRET the server takes tokens signed with it', async () => {
      const api = await startApiProcess(await cluster.freshDatabase(), { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: 'x'.repeat(40) });
      try {
        assert.equal((await fetch(`${api.url}/api/users/1/itineraries`)).status, 401);
      } finally {
        await api.stop();
      }
    });
  });
});

describe('the embedded demo (npm start without DATABASE_URL)', () => {
  let parent: string;
  before(() => {
    parent = mkdtempSync(path.join(tmpdir(), 'blackjet-demo-'));
    chmodSync(parent, 0o755); // as root, postgres runs as the postgres user and must enter it
  });
  after(() => { rmSync(parent, { recursive: true, force: true }); });

  /** `npm start` on the demo data dir; resolves once it listens, with its URL and what it printed. */
  async function start(pgPort: number) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...cleanEnv, PORT: '0', EMBEDDED_PG_PORT: String(pgPort), BLACKJET_DATA_DIR: path.join(parent, 'pgdata'), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => { output += chunk; });
    child.stderr!.on('data', (chunk) => { output += chunk; });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = await new Promise<string>((resolve, reject) => {
      const onData = () => {
        const match = /listening on (http:\/\/\S+) /.exec(output);
        if (match) resolve(match[1]!);
      };
      child.stdout!.on('data', onData);
      void exited.then(() => reject(new Error(`npm start exited:\n${output}`)));
    });
    const password = /password: (\S+)/.exec(output)?.[1];
    return { url, password, output: () => output, stop: async () => { child.kill('SIGTERM'); await exited; } };
  }

  it('generates a key (0600) and demo accounts, prints their password, and keeps both across a restart', async () => {
    const pgPort = await freePort();
    const first = await start(pgPort);
    let token: string;
    try {
      assert.ok(first.password, first.output());
      const mode = statSync(path.join(parent, 'pgdata', SECRETS_FILE)).mode & 0o777;
      assert.equal(mode, 0o600);
      const login = await fetch(`${first.url}/api/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'user1@blackjet.example', password: first.password }),
      });
      assert.equal(login.status, 200);
      token = (await login.json()).accessToken;
      const booked = await fetch(`${first.url}/api/flight/booking`, {
        method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: JSON.stringify(SPEC_EXAMPLE),
      });
      assert.equal(booked.status, 201);
    } finally {
      await first.stop();
    }

    const second = await start(pgPort);
    try {
      assert.equal(second.password, first.password, 'the same password');
      const mine = await fetch(`${second.url}/api/users/1/itineraries`, { headers: bearer(token) });
      assert.equal(mine.status, 200, 'a token of the first run is still good: the same key');
      const admin = await fetch(`${second.url}/api/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@blackjet.example', password: second.password }),
      });
      assert.equal(admin.status, 200);
    } finally {
      await second.stop();
    }
  });
});
