/**
 * book_round_trip() called directly, as a DBA would from psql, and the NOTIFY trigger seen by a plain
 * LISTEN client.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import pg from 'pg';
import { migrateDatabase } from '../src/provision/migrate.ts';
import { listenForSeatChanges, query, sqlError as sqlErrorAt, takenSeats } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';

let cluster: TestCluster;
let url: string;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });
beforeEach(async () => { url = await cluster.freshDatabase(); });

const BOOK = `select * from book_round_trip(outbound_flight_number => $1, outbound_date => $2, outbound_seat => $3,
  inbound_flight_number => $4, inbound_date => $5, inbound_seat => $6, user_id => $7)`;
const specExample = ['BKJT123', '2025-04-07', 5, 'BKJT234', '2025-04-08', 3, 1];

const sqlError = (text: string, values: unknown[]) => sqlErrorAt(url, text, values);

describe('book_round_trip() from SQL', () => {
  it('books with named arguments and returns one row', async () => {
    const rows = await query(url, BOOK, specExample);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, 'confirmed');
    assert.match(rows[0].booking_id, /^[0-9a-f-]{36}$/);
    assert.ok(rows[0].created_at instanceof Date);
    assert.deepEqual(await takenSeats(url, 'BKJT123', '2025-04-07'), [3, 4, 5, 8]);
  });

  it('BJ001 for a taken seat, with a JSON detail', async () => {
    await query(url, BOOK, specExample);
    const e = await sqlError(BOOK, specExample);
    assert.equal(e.code, 'BJ001');
    assert.equal(e.message, 'Seat 5 on flight BKJT123 (07/04/2025) is no longer available');
    assert.deepEqual(JSON.parse(e.detail!), {
      leg: 'outbound', flightNumber: 'BKJT123', date: '07/04/2025', seat: 5, availableSeats: [1, 2, 6, 7],
    });
  });

  it('BJ002 for an unknown flight, BJ003 for an unknown user', async () => {
    const noFlight = await sqlError(BOOK, ['BKJT123', '2025-04-07', 5, 'XX1', '2025-04-08', 3, 1]);
    assert.equal(noFlight.code, 'BJ002');
    assert.equal(noFlight.message, 'Flight XX1 on 08/04/2025 not found');
    const noUser = await sqlError(BOOK, [...specExample.slice(0, 6), 999]);
    assert.equal(noUser.code, 'BJ003');
    assert.equal(noUser.message, 'User 999 not found');
  });

  it('BJ004 for an invalid request', async () => {
    const cases: unknown[][] = [
      ['BKJT123', '2025-04-07', 9, 'BKJT234', '2025-04-08', 3, 1],
      ['BKJT123', '2025-04-07', 5, 'BKJT234', '2025-04-08', 0, 1],
      ['BKJT123', '2025-04-07', 5, 'BKJT234', '2025-04-06', 3, 1],
      ['BKJT123', '2025-04-07', 5, 'BKJT123', '2025-04-07', 3, 1],
      ['BKJT123', null, 5, 'BKJT234', '2025-04-08', 3, 1],
    ];
    for (const values of cases) {
      const e = await sqlError(BOOK, values);
      assert.equal(e.code, 'BJ004', JSON.stringify(values));
    }
    assert.deepEqual(await query(url, 'select id from bookings'), []);
  });

  it('pins search_path on every function it ships', async () => {
    const rows = await query(url, `select proname, proconfig from pg_proc
      where pronamespace = 'public'::regnamespace and prolang = (select oid from pg_language where lanname = 'plpgsql')`);
    assert.ok(rows.length >= 4);
    for (const row of rows) assert.deepEqual(row.proconfig, ['search_path=pg_catalog, public, pg_temp'], row.proname);
  });

  it('the seats primary key refuses a hand-written double booking', async () => {
    const e = await sqlError(`insert into seats (flight_id, seat_number, user_id)
      select id, 3, 1 from flights where flight_number = 'BKJT123' and flight_date = '2025-04-07'`, []);
    assert.equal(e.code, '23505');
  });
});

describe('NOTIFY seats_updated', () => {
  it('one notification per flight per booking, with the seat map and a version that grows by one', async () => {
    const listener = await listenForSeatChanges(url);
    try {
      await query(url, BOOK, specExample);
      const [outbound, inbound, ...rest] = (await listener.drain()).sort((x, y) => x.flightNumber.localeCompare(y.flightNumber));
      assert.equal(rest.length, 0);
      assert.deepEqual({ ...outbound, timestamp: undefined, version: undefined, signature: undefined }, {
        flightNumber: 'BKJT123', date: '07/04/2025', availableSeats: [1, 2, 6, 7], heldSeats: [], lastBookedSeat: 5,
        releasedSeat: null, timestamp: undefined, version: undefined, signature: undefined,
      });
      assert.match(outbound.signature, /^[0-9a-f]{64}$/);
      assert.deepEqual(inbound.availableSeats, [2, 4, 5, 7, 8]);
      assert.equal(inbound.lastBookedSeat, 3);
      assert.match(outbound.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

      await query(url, BOOK, ['BKJT123', '2025-04-07', 6, 'BKJT234', '2025-04-08', 4, 2]);
      const next = (await listener.drain()).find((n) => n.flightNumber === 'BKJT123');
      assert.equal(next.version, outbound.version + 1);
      assert.deepEqual(next.availableSeats, [1, 2, 7]);
    } finally {
      await listener.close();
    }
  });

  it('failed bookings notify nothing', async () => {
    const listener = await listenForSeatChanges(url);
    try {
      await sqlError(BOOK, ['BKJT123', '2025-04-07', 3, 'BKJT234', '2025-04-08', 2, 1]); // outbound taken
      await sqlError(BOOK, ['BKJT123', '2025-04-07', 5, 'BKJT234', '2025-04-08', 6, 1]); // inbound taken
      await sqlError(BOOK, [...specExample.slice(0, 6), 999]);
      assert.deepEqual(await listener.drain(), []);
    } finally {
      await listener.close();
    }
  });

  it('hand-written INSERT and DELETE notify too, a DELETE naming the released seat', async () => {
    const listener = await listenForSeatChanges(url);
    try {
      const flight = `(select id from flights where flight_number = 'BKJT123' and flight_date = '2025-04-07')`;
      await query(url, `insert into seats (flight_id, seat_number, user_id) values (${flight}, 1, 1), (${flight}, 2, 1)`);
      await query(url, `delete from seats where flight_id = ${flight} and seat_number = 4`);
      const events = await listener.drain();
      assert.equal(events.length, 2, 'one per statement, not per row');
      assert.deepEqual(events.map((e) => [e.availableSeats, e.lastBookedSeat, e.releasedSeat]), [
        [[5, 6, 7], 2, null],
        [[4, 5, 6, 7], null, 4],
      ]);
      assert.equal(events[1].version, events[0].version + 1);
    } finally {
      await listener.close();
    }
  });

  it('a rolled-back transaction notifies nothing', async () => {
    const listener = await listenForSeatChanges(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('begin');
      await client.query(BOOK, specExample);
      await client.query('rollback');
      assert.deepEqual(await listener.drain(), []);
    } finally {
      await client.end();
      await listener.close();
    }
  });
});

describe('migrations', () => {
  it('two instances migrating one database at the same moment both succeed, once', async () => {
    const empty = await cluster.freshDatabase();
    await query(empty, 'drop schema public cascade; drop schema drizzle cascade; create schema public');
    await Promise.all([migrateDatabase(empty), migrateDatabase(empty)]);
    const applied = await query(empty, 'select count(*)::int as n from drizzle.__drizzle_migrations');
    const shipped = await query(url, 'select count(*)::int as n from drizzle.__drizzle_migrations');
    assert.equal(applied[0].n, shipped[0].n);
    assert.ok((await query(empty, `select 1 from pg_proc where proname = 'book_round_trip'`)).length === 1);
  });
});
