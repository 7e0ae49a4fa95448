/**
 * `npm test` runs this before the tests: when the embedded PostgreSQL cannot run on this machine (broken
 * binaries; as root, a project folder the postgres user cannot enter, such as a 0700 home or a
 * `mktemp -d` folder), it says so in one message and stops, instead of every test file failing on it.
 * Nothing to check with DATABASE_URL, whose server the tests use instead.
 */
import { tmpdir } from 'node:os';
import { checkEmbeddedCanRun, EmbeddedStartError } from '../src/provision/embedded.ts';

if (!process.env.DATABASE_URL) {
  try {
    await checkEmbeddedCanRun(tmpdir()); // test clusters live under the temp dir
  } catch (e) {
    if (!(e instanceof EmbeddedStartError)) throw e;
    process.stderr.write(`blackjet: ${e.message}\nThe tests need a PostgreSQL: fix the above, or run them with DATABASE_URL=postgres://... npm test\n`);
    process.exit(1);
  }
}
