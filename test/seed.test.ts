/**
 * The CSV seed loader: the original BlackJet files, broken copies of them, and loading into PostgreSQL.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { loadSeedData, readSeedData, SeedError, seedIfEmpty } from '../src/provision/seed.ts';
import { query } from './helpers/api.ts';
import { SEED_DIR, startTestCluster, type TestCluster } from './helpers/cluster.ts';

const EXAMPLE_FLIGHTS = ['BKJT123,07/04/2025', 'BKJT234,08/04/2025', 'BKJT999,01/05/2025'];
const tempDirs: string[] = [];
after(() => { for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true }); });

/** A copy of seed_data/ with `edit` applied to one file's text. */
function copyWith(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'blackjet-seed-'));
  tempDirs.push(dir);
  cpSync(SEED_DIR, dir, { recursive: true });
  writeFileSync(path.join(dir, file), edit(readFileSync(path.join(dir, file), 'utf8')));
  return dir;
}

function problemsOf(dir: string): string[] {
  try {
    readSeedData(dir);
  } catch (e) {
    assert.ok(e instanceof SeedError);
    return e.problems;
  }
  assert.fail('expected the seed data to be rejected');
}

describe('reading seed_data/', () => {
  it('loads the project seed set: the original files plus the three example flights', () => {
    const data = readSeedData(SEED_DIR);
    assert.equal(data.users.length, 20);
    assert.equal(data.flights.length, 53);
    assert.equal(data.seats.length, 137);
    assert.deepEqual(data.seats.filter((s) => s.flightNumber === 'BKJT999').map((s) => s.seatNumber), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('loads the original BlackJet files unchanged (seed_data/ without the example rows)', () => {
    const withoutExamples = (text: string) =>
      text.split('\n').filter((line) => !EXAMPLE_FLIGHTS.some((f) => line.startsWith(f))).join('\n');
    const dir = copyWith('flights.csv', withoutExamples);
    writeFileSync(path.join(dir, 'seatings.csv'), withoutExamples(readFileSync(path.join(dir, 'seatings.csv'), 'utf8')));
    const data = readSeedData(dir);
    assert.deepEqual([data.users.length, data.flights.length, data.seats.length], [20, 50, 125]);
    assert.deepEqual(data.flights[0], { flightNumber: 'BKJT456', isoDate: '2025-04-07' });
  });

  const broken: [string, string, (text: string) => string, RegExp][] = [
    ['a wrong header', 'users.csv', (t) => t.replace('Number_of_Pets', 'Pets'), /^users\.csv:1: header must be/],
    ['a missing field', 'users.csv', (t) => t.replace('2,James,Wilson,0', '2,James,Wilson'), /^users\.csv:3: expected 4 fields, found 3/],
    ['a user id that is not a number', 'users.csv', (t) => t.replace('2,James', 'two,James'), /^users\.csv:3: Id "two"/],
    ['a duplicate user id', 'users.csv', (t) => t.replace('3,Sophia', '2,Sophia'), /^users\.csv:4: Id 2 appears twice/],
    ['three pets', 'users.csv', (t) => t.replace('1,Emma,Thompson,0', '1,Emma,Thompson,3'), /^users\.csv:2: Number_of_Pets "3"/],
    ['an empty name', 'users.csv', (t) => t.replace('1,Emma,', '1,,'), /^users\.csv:2: First_Name is empty/],
    ['a bad flight number', 'flights.csv', (t) => t.replace('BKJT456,07/04/2025', 'bk-456,07/04/2025'), /^flights\.csv:2: Flight_Number "bk-456"/],
    ['an impossible date', 'flights.csv', (t) => t.replace('BKJT234,09/04/2025', 'BKJT234,31/04/2025'), /^flights\.csv:3: Date "31\/04\/2025" is not a real/],
    ['a seat outside 1-8', 'flights.csv', (t) => t.replace('"1,4,6"', '"1,4,9"'), /^flights\.csv:2: Seats_Taken: "9"/],
    ['a seat listed twice', 'flights.csv', (t) => t.replace('"1,4,6"', '"1,4,4"'), /^flights\.csv:2: Seats_Taken lists seat 4 twice/],
    ['a flight defined twice', 'flights.csv', (t) => `${t}BKJT456,07/04/2025,"1,4,6"\n`, /^flights\.csv:55: flight BKJT456 07\/04\/2025 already defined on line 2/],
    ['Seats_Taken without a seating', 'flights.csv', (t) => t.replace('"1,4,6"', '"1,4,6,8"'), /^flights\.csv:2: Seats_Taken lists seat 8 of BKJT456 07\/04\/2025 but seatings\.csv/],
    ['broken CSV quoting', 'flights.csv', (t) => t.replace('"1,4,6"', '"1,4,6'), /^flights\.csv:\d+: not valid CSV/],
    ['a seating on an unknown flight', 'seatings.csv', (t) => `${t}BKJT000,07/04/2025,1,1\n`, /^seatings\.csv:139: flight BKJT000 07\/04\/2025 is not in flights\.csv/],
    ['a seating for an unknown user', 'seatings.csv', (t) => t.replace('BKJT456,07/04/2025,4,15', 'BKJT456,07/04/2025,4,77'), /^seatings\.csv:3: User_Id "77"/],
    ['a seating outside 1-8', 'seatings.csv', (t) => `${t}BKJT456,07/04/2025,0,1\n`, /^seatings\.csv:139: Seat_Number "0"/],
    ['a seat given twice', 'seatings.csv', (t) => `${t}BKJT456,07/04/2025,1,2\n`, /^seatings\.csv:139: seat 1 on BKJT456 07\/04\/2025 is already given on line 2/],
    ['a seating not in Seats_Taken', 'seatings.csv', (t) => `${t}BKJT456,07/04/2025,2,2\n`, /^seatings\.csv:139: seat 2 on BKJT456 07\/04\/2025 is not in Seats_Taken of flights\.csv:2/],
  ];
  for (const [what, file, edit, expected] of broken) {
    it(`rejects ${what} with file:line`, () => {
      const problems = problemsOf(copyWith(file, edit));
      assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} in:\n${problems.join('\n')}`);
    });
  }

  it('reports a missing file', () => {
    const dir = copyWith('users.csv', (t) => t);
    rmSync(path.join(dir, 'users.csv'));
    assert.ok(problemsOf(dir).some((p) => p.startsWith('users.csv:0: cannot read file')));
  });

  it('lists every problem at once', () => {
    const dir = copyWith('users.csv', (t) => t.replace('1,Emma,Thompson,0', '1,,Thompson,5'));
    assert.equal(problemsOf(dir).filter((p) => p.startsWith('users.csv:2:')).length, 2);
  });
});

describe('loading into PostgreSQL', () => {
  let cluster: TestCluster;
  before(async () => { cluster = await startTestCluster(); });
  after(async () => { await cluster.stop(); });

  const withClient = async <T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try { return await fn(client); } finally { await client.end(); }
  };

  it('re-running the seed adds nothing and keeps live bookings', async () => {
    const url = await cluster.freshDatabase(); // already seeded once
    await query(url, `select book_round_trip(outbound_flight_number => 'BKJT123', outbound_date => '2025-04-07',
      outbound_seat => 5, inbound_flight_number => 'BKJT234', inbound_date => '2025-04-08', inbound_seat => 3, user_id => 1)`);
    const added = await withClient(url, (c) => loadSeedData(c, readSeedData(SEED_DIR)));
    assert.deepEqual(added, { users: 0, flights: 0, seats: 0 });
    const counts = await query(url, `select (select count(*) from users)::int as users, (select count(*) from flights)::int as flights,
      (select count(*) from seats)::int as seats, (select count(*) from bookings)::int as bookings`);
    assert.deepEqual(counts[0], { users: 20, flights: 53, seats: 139, bookings: 1 });
  });

  it('start-up seeding only fills an empty database', async () => {
    const url = await cluster.freshDatabase();
    assert.equal(await withClient(url, (c) => seedIfEmpty(c, SEED_DIR)), null);
    await query(url, 'truncate seats, idempotency_keys, booking_passengers, seat_holds, bookings, flights, users cascade');
    assert.deepEqual(await withClient(url, (c) => seedIfEmpty(c, SEED_DIR)), { users: 20, flights: 53, seats: 137 });
  });

  it('a load that fails in the database leaves nothing behind', async () => {
    const url = await cluster.freshDatabase();
    await query(url, 'truncate seats, idempotency_keys, booking_passengers, seat_holds, bookings, flights, users cascade');
    const data = readSeedData(SEED_DIR);
    // A flight number the table's check constraint refuses, past the loader's checks: users go in first,
    // then the flights statement fails, and the transaction must take the users back out.
    data.flights.push({ flightNumber: 'lower-case', isoDate: '2025-01-01' });
    await assert.rejects(withClient(url, (c) => loadSeedData(c, data)), /flights_flight_number_format/);
    assert.deepEqual(await query(url, 'select count(*)::int as n from users'), [{ n: 0 }]);
  });
});
