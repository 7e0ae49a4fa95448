/**
 * Checks of the code's shape that tools already know how to make: no import cycles (dependency-cruiser,
 * .dependency-cruiser.cjs), and the tables in src/db/schema.ts equal to what drizzle/ has generated
 * (drizzle-kit's own diff, run on a copy so nothing is written).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/config.ts';

const run = promisify(execFile);
const bin = (name: string) => path.join(PROJECT_ROOT, 'node_modules', '.bin', name);
const inProject = { cwd: PROJECT_ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } };

/** Runs a tool and returns its output; a failing run fails the test with everything it printed. */
async function tool(name: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(bin(name), args, inProject);
    return stdout + stderr;
  } catch (e) {
    const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
    assert.fail(`${name} ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

describe('layout', () => {
  it('no import cycles between modules or between folders of src/', async () => {
    const output = await tool('depcruise', ['--config', '.dependency-cruiser.cjs', 'src']);
    assert.match(output, /no dependency violations found/);
  });
});

describe('src/db/schema.ts and drizzle/', () => {
  it('drizzle-kit finds no table change left to generate, and the journal is consistent', async () => {
    const copy = mkdtempSync(path.join(tmpdir(), 'blackjet-drizzle-'));
    try {
      cpSync(path.join(PROJECT_ROOT, 'drizzle'), copy, { recursive: true });
      const before = readdirSync(copy).sort();
      // drizzle-kit takes `--out` relative to the project.
      const out = path.relative(PROJECT_ROOT, copy);
      const generated = await tool('drizzle-kit', ['generate', '--dialect', 'postgresql', '--schema', './src/db/schema.ts', '--out', out]);
      assert.match(generated, /No schema changes, nothing to migrate/, generated);
      assert.deepEqual(readdirSync(copy).sort(), before, 'drizzle-kit wrote a migration: run `npm run db:generate`');
      const checked = await tool('drizzle-kit', ['check', '--dialect', 'postgresql', '--out', out]);
      assert.match(checked, /Everything's fine/, checked);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
