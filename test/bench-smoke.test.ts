/**
 * `npm run bench -- --smoke`: every bench scenario, tiny and short, as operators would run it. Its
 * figures are not checked (no timed assertions); the bench itself fails when the system misbehaves
 * under its load: an uncontended booking refused, other than exactly one 201 in a race, a client that
 * missed an update.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../src/config.ts';
import { query } from './helpers/api.ts';

describe('npm run bench -- --smoke', () => {
  it('runs every scenario and reports a correct system', async () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/bench/run.ts', '--smoke'], {
      // Generous (a loaded 2-core machine runs it several times slower), yet under the per-file bound of
      // test/run.ts, so a hang fails here with the bench's own output.
      cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 280_000,
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    for (const row of ['direct SQL: book_round_trip() (reference)', 'HTTP: POST /api/flight/booking', 'interactive transaction',
      'seat-change trigger off', 'simultaneous requests for one seat', 'subscribers, 1 instance',
      'batched: book_round_trips()', 'HTTP, seat-change trigger off', 'HTTP: POST /api/flight/booking, more clients',
      'HTTP, 1 client, batching off', 'HTTP, 4 clients', 'subscribers on the flights being booked']) {
      assert.ok(run.stdout.includes(row), `the table has no row for "${row}":\n${run.stdout}`);
    }
    const report = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'bench-results', 'smoke.json'), 'utf8'));
    assert.ok(report.machine.cores >= 1);
    assert.match(report.postgres.version, /^\d+/);
    // The settings reported are the server's: the embedded bench cluster runs with fsync on, like
    // production; under DATABASE_URL they are whatever that server says.
    const fsync = process.env.DATABASE_URL ? (await query(process.env.DATABASE_URL, 'show fsync'))[0].fsync : 'on';
    assert.equal(report.postgres.settings.fsync, fsync);
  });
});
