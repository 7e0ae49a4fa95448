/**
 * The embedded default: restarts on an existing data dir, and clear messages instead of hangs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { EmbeddedStartError, startEmbeddedPostgres, type EmbeddedOptions } from '../src/provision/embedded.ts';
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
      await db.stop();
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
});
