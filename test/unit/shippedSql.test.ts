import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shippedSources, sqlSources, unshippedSources } from '../../src/cli/ship-sql.ts';

describe('sql/ and the migrations that ship it', () => {
  it('every sql/ file is shipped as it is now (run `npm run db:ship-sql` after editing sql/)', () => {
    assert.deepEqual(unshippedSources(), []);
    assert.deepEqual([...shippedSources().keys()].sort(), [...sqlSources().keys()].sort());
  });

  it('every function pins its search_path', () => {
    for (const [file, text] of sqlSources()) {
      const functions = text.match(/create or replace function/g)?.length ?? 0;
      const pinned = text.match(/set search_path = pg_catalog, public, pg_temp/g)?.length ?? 0;
      assert.equal(pinned, functions, file);
    }
  });
});
