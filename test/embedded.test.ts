/**
 * The embedded default: restarts on an existing data dir, and clear messages instead of hangs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { EmbeddedStartError, startEmbeddedPostgres, type EmbeddedOptions } from '../src/provision/embedded.ts';
import { loadConfig } from '../src/config.ts';
import { provisionDatabase } from '../src/provision/database.ts';
import { readSecret, SECRETS_FILE } from '../src/provision/secrets.ts';
import { query } from './helpers/api.ts';
import { freePort } from './helpers/cluster.ts';

const dirs: string[] = [];
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

async function options(): Promise<EmbeddedOptions> {
  const parent = mkdtempSync(path.join(tmpdir(), 'blackjet-embedded-'));
  dirs.push(parent);
  chmodSync(parent, 0o755); // as root, postgres runs as the postgres user and must enter it
  return { dataDir: path.join(parent, 'pgdata'), port: await freePort(), database: 'blackjet', persistent: true, durable: false };
}

describe('embedded PostgreSQL', () => {
  it('keeps its data across a restart (no second initdb)', async () => {
    const opts = await options();
    const first = await startEmbeddedPostgres(opts);
    await query(first.url, 'create table kept (x int); insert into kept values (42)');
    await first.stop();
    const second = await startEmbeddedPostgres(opts);
    try {
      assert.deepEqual(await query(second.url, 'select x from kept'), [{ x: 42 }]);
    } finally {
      await second.stop();
    }
  });

  it('a second start on the same data dir says it is already running', async () => {
    const opts = await options();
    const first = await startEmbeddedPostgres(opts);
    try {
      await assert.rejects(startEmbeddedPostgres({ ...opts, port: await freePort() }),
        (e: unknown) => e instanceof EmbeddedStartError && /already running on/.test(e.message));
    } finally {
      await first.stop();
    }
  });

  it('a busy port gives a clear message', async () => {
    const opts = await options();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(opts.port, '127.0.0.1', resolve));
    try {
      await assert.rejects(startEmbeddedPostgres(opts),
        (e: unknown) => e instanceof EmbeddedStartError && e.message.includes(`Port ${opts.port} is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('as root, a data dir the postgres user cannot reach gets a clear message', async () => {
    const opts = await options();
    chmodSync(path.dirname(opts.dataDir), 0o700);
    const run = startEmbeddedPostgres(opts);
    if (process.getuid?.() === 0) {
      await assert.rejects(run, (e: unknown) => e instanceof EmbeddedStartError && /cannot enter|enter every folder/.test(e.message));
    } else {
      // A normal user runs postgres as itself and owns the folder: no problem at all.
      const db = await run;
      try {
        assert.deepEqual(await query(db.url, 'select 1 as ok'), [{ ok: 1 }]);
        assert.equal(statSync(opts.dataDir).uid, process.getuid?.());
      } finally {
        await db.stop();
      }
    }
  });

  it('starts over a stale pid file (dead pid, or a pid reused by another process)', async () => {
    const opts = await options();
    const first = await startEmbeddedPostgres(opts);
    await first.stop();

    const exited = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => exited.on('exit', resolve));
    for (const pid of [exited.pid!, process.pid]) {
      writeFileSync(path.join(opts.dataDir, 'postmaster.pid'), `${pid}\n${opts.dataDir}\n`);
      const again = await startEmbeddedPostgres(opts);
      try {
        assert.deepEqual(await query(again.url, 'select 1 as ok'), [{ ok: 1 }]);
      } finally {
        await again.stop();
      }
    }
  });

  it('has a random superuser password, made at the first start and kept in the data dir for its owner only', async () => {
    const opts = await options();
    const first = await startEmbeddedPostgres(opts);
    const file = path.join(opts.dataDir, SECRETS_FILE);
    const password = decodeURIComponent(new URL(first.url).password);
    try {
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(readSecret(opts.dataDir, 'superuserPassword'), password);
      assert.ok(password.length >= 24 && password !== 'postgres');
      const guessed = new URL(first.url);
      guessed.password = 'postgres';
      await assert.rejects(query(guessed.toString(), 'select 1'), /password authentication failed/);
    } finally {
      await first.stop();
    }
    const second = await startEmbeddedPostgres(opts);
    await second.stop();
    assert.equal(second.url, first.url, 'the same data dir keeps its password');
    const other = await startEmbeddedPostgres(await options());
    await other.stop();
    assert.notEqual(decodeURIComponent(new URL(other.url).password), password, 'another data dir, another password');
  });

  it('replaces the fixed password of a data dir made before passwords were random', async () => {
    const opts = await options();
    const first = await startEmbeddedPostgres(opts);
    await query(first.url, "alter role postgres password 'postgres'");
    await first.stop();
    rmSync(path.join(opts.dataDir, SECRETS_FILE));
    const again = await startEmbeddedPostgres(opts);
    try {
      assert.notEqual(decodeURIComponent(new URL(again.url).password), 'postgres');
      assert.deepEqual(await query(again.url, 'select 1 as ok'), [{ ok: 1 }]);
      assert.equal(readSecret(opts.dataDir, 'superuserPassword'), decodeURIComponent(new URL(again.url).password));
    } finally {
      await again.stop();
    }
  });

  it("npm start's API role gets a random password too, kept beside the superuser's", async () => {
    const opts = await options();
    const config = loadConfig({ BLACKJET_DATA_DIR: opts.dataDir, EMBEDDED_PG_PORT: String(opts.port) });
    const database = await provisionDatabase(config, 'serve');
    try {
      const api = new URL(database.apiUrl);
      assert.equal(api.username, 'blackjet_api');
      assert.equal(decodeURIComponent(api.password), readSecret(opts.dataDir, 'apiPassword'));
      assert.notEqual(api.password, 'blackjet_api');
      assert.deepEqual(await query(database.apiUrl, 'select current_user as who'), [{ who: 'blackjet_api' }]);
    } finally {
      await database.stop();
    }
  });
});
