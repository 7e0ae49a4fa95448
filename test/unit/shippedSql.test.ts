import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../src/config.ts';
import { SQL_FILES, shippedSources, sqlFilesOnDisk, sqlSources, unshippedSources } from '../../src/cli/ship-sql.ts';

const MIGRATIONS = path.join(PROJECT_ROOT, 'drizzle');

describe('sql/ and the migrations that ship it', () => {
  it('every sql/ file is shipped as it is now (run `npm run db:ship-sql` after editing sql/)', () => {
    assert.deepEqual(unshippedSources(), []);
    assert.deepEqual([...shippedSources().keys()].sort(), [...sqlSources().keys()].sort());
  });

  it('every sql/ file is in the dependency-ordered list, once', () => {
    assert.deepEqual([...SQL_FILES].sort(), sqlFilesOnDisk());
    assert.equal(new Set(SQL_FILES).size, SQL_FILES.length);
  });

  it('each migration ships its sql/ files in the listed order', () => {
    for (const migration of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql'))) {
      const sources = [...readFileSync(path.join(MIGRATIONS, migration), 'utf8').matchAll(/^-- source: sql\/(\S+)$/gm)].map((m) => m[1]!);
      const listed = sources.map((f) => (SQL_FILES as readonly string[]).indexOf(f));
      assert.deepEqual(listed, [...listed].sort((a, b) => a - b), `${migration}: ${sources.join(', ')}`);
    }
  });

  it('every function pins its search_path', () => {
    for (const [file, text] of sqlSources()) {
      const functions = text.match(/create or replace function/g)?.length ?? 0;
      const pinned = text.match(/set search_path = pg_catalog, public, pg_temp/g)?.length ?? 0;
      assert.equal(pinned, functions, file);
    }
  });
});
