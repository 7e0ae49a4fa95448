/**
 * `npm run db:ship-sql`: ships what changed in sql/ as the next journaled drizzle migration.
 *
 * sql/ holds the current, readable definition of every function and trigger (all `create or replace`).
 * Migrations are forward-only: an applied file is never edited. So when a file in sql/ changes, this
 * script asks drizzle-kit for an empty custom migration and copies the changed files into it, each
 * under a `-- source: sql/<file>` line. A test checks that the newest shipped copy of every file equals
 * sql/, so a change that was never shipped fails CI.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sqlDir = path.join(root, 'sql');
const migrationsDir = path.join(root, 'drizzle');
const SOURCE_MARK = '-- source: sql/';
const BREAKPOINT = '--> statement-breakpoint';

/**
 * Every sql/ file, in the order a migration applies them: a file comes after the files whose functions,
 * views or tables it needs when it is created (a view or a `language sql` body is checked then; plpgsql
 * bodies only when they run, but the order keeps them readable as one story too). A new file goes
 * here: a test fails while sql/ and this list disagree.
 */
export const SQL_FILES = [
  'book_round_trip.sql', // book_round_trip(), available_seats() and the errors they raise
  'notification_signing.sql', // pgcrypto and the key the trigger signs with
  'seat_notifications.sql', // the trigger; its payload reads available_seats()
  'flights.sql', // flight_schedule, the flight and seat triggers, flight management; raises book_round_trip()'s errors
  'itineraries.sql', // the view of bookings with their seats; reads flight_schedule
  'book_round_trip_idempotent.sql', // wraps book_round_trip()
  'book_round_trips.sql', // the batch form: calls book_round_trip() and book_round_trip_idempotent()
  'holds.sql', // party bookings and holds: reserve_seats() (book_round_trip.sql) and the hold lifecycle
  'cancel_booking.sql', // locks the two flights in the same order as book_round_trip()
  'accounts.sql', // schema auth, accounts and refresh tokens; register_account() inserts users
  'privileges.sql', // last: grants on the functions and views above
] as const;

/** The sql/ files that exist, named or not in SQL_FILES. */
export function sqlFilesOnDisk(): string[] {
  return readdirSync(sqlDir).filter((f) => f.endsWith('.sql')).sort();
}

/** sql/ files in SQL_FILES order, with their text. */
export function sqlSources(): Map<string, string> {
  return new Map(SQL_FILES.map((f) => [f, readFileSync(path.join(sqlDir, f), 'utf8')]));
}

/** The newest copy of each sql/ file found in drizzle/ migrations. */
export function shippedSources(): Map<string, string> {
  const shipped = new Map<string, string>();
  const migrations = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort();
  for (const migration of migrations) {
    for (const chunk of readFileSync(path.join(migrationsDir, migration), 'utf8').split(BREAKPOINT)) {
      const body = chunk.replace(/^\n/, '');
      if (!body.startsWith(SOURCE_MARK)) continue;
      const newline = body.indexOf('\n');
      shipped.set(body.slice(SOURCE_MARK.length, newline).trim(), body.slice(newline + 1));
    }
  }
  return shipped;
}

export function unshippedSources(): string[] {
  const shipped = shippedSources();
  return [...sqlSources()].filter(([file, text]) => shipped.get(file) !== text).map(([file]) => file);
}

function ship(label: string | undefined): void {
  const unlisted = sqlFilesOnDisk().filter((f) => !(SQL_FILES as readonly string[]).includes(f));
  if (unlisted.length > 0) throw new Error(`add ${unlisted.join(', ')} to SQL_FILES in src/cli/ship-sql.ts, after what it needs`);
  const changed = unshippedSources(); // in SQL_FILES order
  if (changed.length === 0) {
    console.log('sql/ is already shipped: nothing to do.');
    return;
  }
  const name = `sql_${label ?? changed.map((f) => f.replace(/\.sql$/, '')).join('_')}`.slice(0, 60);
  execFileSync('npx', ['drizzle-kit', 'generate', '--custom', `--name=${name}`], { cwd: root, stdio: 'inherit' });
  const created = readdirSync(migrationsDir).filter((f) => f.endsWith(`_${name}.sql`)).sort().at(-1);
  if (!created) throw new Error(`drizzle-kit did not create a migration named ${name}`);
  const sources = sqlSources();
  const body = changed.map((file) => `${SOURCE_MARK}${file}\n${sources.get(file)}`).join(`${BREAKPOINT}\n`); // each file ends in a newline
  writeFileSync(path.join(migrationsDir, created), body);
  console.log(`shipped ${changed.join(', ')} in drizzle/${created}`);
}

// `npm run db:ship-sql -- <label>` names the migration; by default it is named after the changed files.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) ship(process.argv[2]);
