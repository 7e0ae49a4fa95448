/**
 * book_round_trips() (sql/book_round_trips.sql) from SQL, the booking queue that feeds it, and a randomized
 * check that a batch answers, and leaves the database, exactly as the same requests booked one by one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { BookingQueue } from '../src/db/bookingQueue.ts';
import type { BatchRequest } from '../src/db/bookRoundTrips.ts';
import { createDb, createPool } from '../src/db/client.ts';
import { httpStatusForSqlState } from '../src/http/errors.ts';
import { listenForSeatChanges, postBooking, query, sqlError, startApi, takenSeats } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';

let cluster: TestCluster;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });

interface SqlRequest {
  outbound_flight_number: string; outbound_date: string; outbound_seat: number;
  inbound_flight_number: string; inbound_date: string; inbound_seat: number; user_id: number;
  idempotency_key?: string; request_fingerprint?: string;
}

const trip = (outboundSeat: number, inboundSeat: number, userId = 1): SqlRequest => ({
  outbound_flight_number: 'BKJT123', outbound_date: '2025-04-07', outbound_seat: outboundSeat,
  inbound_flight_number: 'BKJT234', inbound_date: '2025-04-08', inbound_seat: inboundSeat, user_id: userId,
});

/** Seeded: BKJT123 on 2025-04-07 has seats 3, 4, 8 taken; BKJT234 on 2025-04-08 has 1 and 6. */
const FREE_INBOUND: Record<number, number> = { 1: 2, 2: 3, 6: 4, 7: 5 };
const BATCH = 'select * from book_round_trips($1::jsonb) order by ordinal';

describe('book_round_trips() from SQL', () => {
  it('answers one row per request in request order; a refused request leaves nothing and notifies nothing', async () => {
    const url = await cluster.freshDatabase();
    const listener = await listenForSeatChanges(url);
    try {
      const rows = await query(url, BATCH, [JSON.stringify([trip(1, 2), trip(1, 3, 2), trip(2, 4, 3), trip(9, 5)])]);
      assert.deepEqual(rows.map((r) => r.ordinal), [1, 2, 3, 4]);
      assert.equal(rows[0].status, 'confirmed');
      assert.equal(rows[1].refusal_code, 'BJ001');
      assert.equal(rows[1].refusal_message, 'Seat 1 on flight BKJT123 (07/04/2025) is no longer available');
      assert.deepEqual(JSON.parse(rows[1].refusal_detail), {
        leg: 'outbound', flightNumber: 'BKJT123', date: '07/04/2025', seat: 1, availableSeats: [2, 5, 6, 7],
      });
      assert.equal(rows[1].booking_id, null);
      assert.equal(rows[2].status, 'confirmed');
      assert.equal(rows[3].refusal_code, 'BJ004');
      assert.equal(JSON.parse(rows[3].refusal_detail).field, 'outboundSeat');
      assert.deepEqual(await takenSeats(url, 'BKJT123', '2025-04-07'), [1, 2, 3, 4, 8]);
      assert.deepEqual(await takenSeats(url, 'BKJT234', '2025-04-08'), [1, 2, 4, 6]);
      const [{ n }] = await query(url, 'select count(*)::int as n from bookings');
      assert.equal(n, 2);
      // One notification per flight per booking that committed: two bookings, two flights each.
      const changes = await listener.drain();
      assert.equal(changes.length, 4);
      assert.deepEqual(changes.filter((c) => c.flightNumber === 'BKJT123').map((c) => c.lastBookedSeat), [1, 2]);
    } finally {
      await listener.close();
    }
  });

  it('takes idempotency keys: the same key twice replays, another body under it is BJ007', async () => {
    const url = await cluster.freshDatabase();
    const keyed = (seat: number, fingerprint: string) => ({ ...trip(seat, seat + 1), idempotency_key: 'k-1', request_fingerprint: fingerprint });
    const rows = await query(url, BATCH, [JSON.stringify([keyed(1, 'a'), keyed(1, 'a'), keyed(2, 'b'), trip(1, 2)])]);
    assert.equal(rows[0].status, 'confirmed');
    assert.equal(rows[0].replayed, false);
    assert.equal(rows[1].booking_id, rows[0].booking_id);
    assert.equal(rows[1].replayed, true);
    assert.equal(rows[2].refusal_code, 'BJ007');
    assert.equal(rows[3].refusal_code, 'BJ001');
    const again = await query(url, BATCH, [JSON.stringify([keyed(1, 'a')])]);
    assert.equal(again[0].booking_id, rows[0].booking_id);
    assert.equal(again[0].replayed, true);
  });

  it('refuses what is not a batch, and batches over 30 bookings, as BJ004', async () => {
    const url = await cluster.freshDatabase();
    for (const requests of ['{}', 'null', JSON.stringify(Array.from({ length: 31 }, (_, i) => trip(1 + (i % 8), 1)))]) {
      const e = await sqlError(url, 'select * from book_round_trips($1::jsonb)', [requests]);
      assert.equal(e.code, 'BJ004', requests.slice(0, 20));
    }
    const rows = await query(url, BATCH, [JSON.stringify([42, { outbound_flight_number: 'BKJT123' }, trip(1, 2)])]);
    assert.deepEqual(rows.map((r) => r.refusal_code), ['BJ004', 'BJ004', null]);
    assert.equal(rows[2].status, 'confirmed');
  });

  it('a cancelled flight is BJ015 (409 flight_cancelled) in a batch; the others of the batch still book', async () => {
    const url = await cluster.freshDatabase();
    await query(url, "select * from cancel_flight('BKJT234', '2025-04-08')");
    const other = { ...trip(1, 2), inbound_flight_number: 'BKJT789', inbound_date: '2025-04-12' };
    const rows = await query(url, BATCH, [JSON.stringify([trip(1, 2), other, { ...trip(2, 3), idempotency_key: 'k-c', request_fingerprint: 'c' }])]);
    assert.deepEqual(rows.map((r) => r.refusal_code), ['BJ015', null, 'BJ015']);
    assert.equal(rows[1].status, 'confirmed');
    assert.equal(JSON.parse(rows[0].refusal_detail).leg, 'inbound');
    assert.deepEqual(httpStatusForSqlState('BJ015'), { status: 409, error: 'flight_cancelled' });
    assert.deepEqual(await takenSeats(url, 'BKJT234', '2025-04-08'), []);
  });

  it('holds each flight\'s capacity in a batch: the last seat of a 12-seat flight books once, seat 13 is BJ004', async () => {
    const url = await cluster.freshDatabase();
    await query(url, `select * from create_flight('BJ700', '2026-03-02', 'LAX', 'JFK', '2026-03-02 08:00 America/Los_Angeles',
      '2026-03-02 16:30 America/New_York', 500, 12)`);
    await query(url, `select * from create_flight('BJ701', '2026-03-03', 'JFK', 'LAX', '2026-03-03 09:00 America/New_York',
      '2026-03-03 12:30 America/Los_Angeles', 500, 100)`);
    const leg = (outboundSeat: number, inboundSeat: number, userId: number): SqlRequest => ({
      outbound_flight_number: 'BJ700', outbound_date: '2026-03-02', outbound_seat: outboundSeat,
      inbound_flight_number: 'BJ701', inbound_date: '2026-03-03', inbound_seat: inboundSeat, user_id: userId,
    });
    const rows = await query(url, BATCH, [JSON.stringify([leg(12, 100, 1), leg(12, 99, 2), leg(13, 98, 3), leg(1, 101, 4)])]);
    assert.deepEqual(rows.map((r) => r.refusal_code), [null, 'BJ001', 'BJ004', 'BJ004']);
    assert.equal(rows[0].status, 'confirmed');
    assert.deepEqual(await takenSeats(url, 'BJ700', '2026-03-02'), [12]);
    assert.deepEqual(await takenSeats(url, 'BJ701', '2026-03-03'), [100]);
  });

  it('is callable by the API role, which still cannot write the tables', async () => {
    const url = await cluster.freshDatabase();
    const api = new URL(url);
    api.username = 'blackjet_api';
    api.password = 'blackjet_api';
    const rows = await query(api.toString(), BATCH, [JSON.stringify([trip(1, 2)])]);
    assert.equal(rows[0].status, 'confirmed');
    const e = await sqlError(api.toString(), 'delete from seats');
    assert.equal(e.code, '42501');
  });
});

describe('the booking queue', () => {
  it('batches what waits while the connections are busy, and never puts one key twice in a batch', async () => {
    const url = await cluster.freshDatabase();
    const pool = createPool({ url, applicationName: 'blackjet-test', max: 2 });
    const batches: number[] = [];
    const queue = new BookingQueue(createDb(pool), { maxBatch: 4, connections: 1, onBatch: (size) => batches.push(size) });
    const request = (seat: number, userId: number, key?: string): BatchRequest => ({
      trip: {
        outboundFlightNumber: 'BKJT123', outboundIsoDate: '2025-04-07', outboundSeat: seat,
        inboundFlightNumber: 'BKJT234', inboundIsoDate: '2025-04-08', inboundSeat: FREE_INBOUND[seat]!, userId,
      },
      ...(key ? { idempotency: { idempotencyKey: key, requestFingerprint: `fp-${seat}` } } : {}),
    });
    try {
      // The first leaves alone at once; the others arrive while it runs and wait for the connection.
      const outcomes = await Promise.all([
        queue.book(request(1, 1)),
        queue.book(request(2, 2, 'dup')), queue.book(request(2, 2, 'dup')), queue.book(request(1, 3)),
        queue.book(request(6, 4)), queue.book(request(7, 5)), queue.book(request(2, 2, 'dup')),
      ]);
      // The second and third "dup" each wait for the batch holding the one before them.
      assert.deepEqual(batches, [1, 4, 1, 1]);
      assert.ok('booked' in outcomes[0]!);
      assert.ok('booked' in outcomes[1]! && !outcomes[1].replayed);
      for (const replay of [outcomes[2]!, outcomes[6]!]) {
        assert.ok('booked' in replay && replay.replayed);
        assert.equal(replay.booked.bookingId, 'booked' in outcomes[1]! ? outcomes[1].booked.bookingId : '');
      }
      assert.ok('refused' in outcomes[3]! && outcomes[3].refused.code === 'BJ001');
      assert.ok('booked' in outcomes[4]! && 'booked' in outcomes[5]!);
      assert.deepEqual(await takenSeats(url, 'BKJT123', '2025-04-07'), [1, 2, 3, 4, 6, 7, 8]);
    } finally {
      await pool.end();
    }
  });

  it('fails every booking of a batch the database could not run, and goes on with the next', async () => {
    const url = await cluster.freshDatabase();
    const pool = createPool({ url, applicationName: 'blackjet-test', max: 1 });
    const db = createDb(pool);
    const queue = new BookingQueue(db, { maxBatch: 8, connections: 1 });
    const request: BatchRequest = {
      trip: {
        outboundFlightNumber: 'BKJT123', outboundIsoDate: '2025-04-07', outboundSeat: 1,
        inboundFlightNumber: 'BKJT234', inboundIsoDate: '2025-04-08', inboundSeat: 2, userId: 1,
      },
    };
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    try {
      await owner.query("alter function book_round_trips(jsonb) rename to book_round_trips_gone");
      await assert.rejects(queue.book(request), /book_round_trips/);
      await owner.query("alter function book_round_trips_gone(jsonb) rename to book_round_trips");
      const outcome = await queue.book(request);
      assert.ok('booked' in outcome);
    } finally {
      await owner.end();
      await pool.end();
    }
  });
});

describe('a crossing storm over two instances', () => {
  it('batches on both, single calls from SQL beside them: no deadlock, no 5xx, every success holds both seats', async () => {
    const url = await cluster.freshDatabase();
    const booking = { maxBatch: 8, connections: 2 }; // few connections, so that batches form
    const apis = [await startApi(url, {}, { booking }), await startApi(url, {}, { booking })];
    try {
      // Both fly on 07/04/2025, so A->B and B->A are both valid round trips.
      const [a, b] = ['BKJT123', 'BKJT456'];
      const requests = Array.from({ length: 60 }, (_, i) => {
        const [out, back] = i % 2 === 0 ? [a, b] : [b, a];
        return {
          outboundFlightNumber: out, outboundDate: '07/04/2025', outboundSeat: 1 + (i % 8),
          inboundFlightNumber: back, inboundDate: '07/04/2025', inboundSeat: 1 + ((i * 3) % 8), userId: 1 + (i % 20),
        };
      });
      const single = `select * from book_round_trip($1, '2025-04-07', $2, $3, '2025-04-07', $4, 1)`;
      const [responses, fromSql] = await Promise.all([
        Promise.all(requests.map((r, i) => postBooking(apis[i % 2]!.url, r,
          i % 3 === 0 ? { headers: { 'content-type': 'application/json', 'idempotency-key': `storm-${i}` } } : {}))),
        Promise.allSettled(Array.from({ length: 10 }, (_, i) => query(url, single, i % 2 ? [a, 1 + i % 8, b, 8 - i % 8] : [b, 1 + i % 8, a, 8 - i % 8]))),
      ]);
      const statuses = responses.map((r) => r.status);
      assert.ok(statuses.every((s) => s === 201 || s === 409), `unexpected statuses ${statuses}`);
      for (const r of fromSql) if (r.status === 'rejected') assert.equal((r.reason as pg.DatabaseError).code, 'BJ001');
      const bookings = await query(url, `select (select count(*)::int from seats s where s.booking_id = b.id) as seat_rows from bookings b`);
      const booked = statuses.filter((s) => s === 201).length + fromSql.filter((r) => r.status === 'fulfilled').length;
      assert.equal(bookings.length, booked);
      assert.ok(bookings.every((row) => row.seat_rows === 2), 'every booking holds both seats');
      assert.ok(booked > 0);
    } finally {
      await Promise.all(apis.map((api) => api.close()));
    }
  });
});

/** A small deterministic generator (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('a batch answers exactly as one-by-one booking', () => {
  const SINGLE = `select booking_id, false as replayed, null as refusal_code from book_round_trip(
      outbound_flight_number => $1, outbound_date => $2::date, outbound_seat => $3::int,
      inbound_flight_number => $4, inbound_date => $5::date, inbound_seat => $6::int, user_id => $7::int)`;
  const SINGLE_IDEMPOTENT = `select booking_id, replayed, refusal_code, refusal_message, refusal_detail
      from book_round_trip_idempotent(idempotency_key => $8, request_fingerprint => $9,
      outbound_flight_number => $1, outbound_date => $2::date, outbound_seat => $3::int,
      inbound_flight_number => $4, inbound_date => $5::date, inbound_seat => $6::int, user_id => $7::int)`;

  /** Each outcome, with booking ids replaced by the index of the request that made the booking. */
  type Outcome = { booked: number; replayed: boolean } | { code: string; message: string; detail: unknown; http: number | undefined };

  async function databaseState(client: pg.Client, bookingIndex: Map<string, number>) {
    const index = (id: string | null) => (id === null ? null : bookingIndex.get(id) ?? `unknown ${id}`);
    const seats = (await client.query(`select flight_id, seat_number, user_id, booking_id from seats order by 1, 2`)).rows
      .map((r) => ({ ...r, booking_id: index(r.booking_id) }));
    const bookings = (await client.query(`select id, user_id, outbound_flight_id, outbound_seat, inbound_flight_id, inbound_seat, status
      from bookings`)).rows.map(({ id, ...r }) => ({ ...r, request: index(id) })).sort((a, b) => Number(a.request) - Number(b.request));
    const keys = (await client.query(`select key, request_fingerprint, booking_id, refusal_code, refusal_message, refusal_detail
      from idempotency_keys order by key`)).rows.map((r) => ({ ...r, booking_id: index(r.booking_id) }));
    const versions = (await client.query('select id, seats_version from flights order by id')).rows;
    return { seats, bookings, keys, versions };
  }

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 120 random requests, batches of 1 to 12 against one at a time`, async () => {
      const next = random(seed);
      const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
      const oneByOneUrl = await cluster.freshDatabase();
      const batchedUrl = await cluster.freshDatabase();
      const flights = (await query<{ n: string; d: string }>(oneByOneUrl,
        `select flight_number as n, to_char(flight_date, 'YYYY-MM-DD') as d from flights order by id limit 6`))
        .map((f) => [f.n, f.d] as const);
      const legs = [...flights, ['XX999', '2025-04-07'] as const]; // an unknown flight: BJ002
      const requests: SqlRequest[] = Array.from({ length: 120 }, () => {
        const [outbound, inbound] = [pick(legs), pick(legs)];
        const request: SqlRequest = {
          outbound_flight_number: outbound[0], outbound_date: outbound[1], outbound_seat: next() < 0.05 ? 9 : 1 + Math.floor(next() * 8),
          inbound_flight_number: inbound[0], inbound_date: inbound[1], inbound_seat: 1 + Math.floor(next() * 8),
          user_id: next() < 0.05 ? 999 : 1 + Math.floor(next() * 20), // 999: BJ003
        };
        if (next() < 0.4) {
          request.idempotency_key = `key-${Math.floor(next() * 8)}`;
          request.request_fingerprint = next() < 0.8 ? `fp-${request.idempotency_key}` : `other-${Math.floor(next() * 2)}`;
        }
        return request;
      });

      const one = new pg.Client({ connectionString: oneByOneUrl });
      const batched = new pg.Client({ connectionString: batchedUrl });
      await one.connect();
      await batched.connect();
      try {
        const outcomesOf = (rows: Record<string, any>[], ids: Map<string, number>, offset: number): Outcome[] => rows.map((row, i) => {
          if (row.booking_id) {
            if (!row.replayed) ids.set(row.booking_id, offset + i);
            return { booked: ids.get(row.booking_id)!, replayed: row.replayed };
          }
          return { code: row.refusal_code, message: row.refusal_message, detail: row.refusal_detail ? JSON.parse(row.refusal_detail) : null,
            http: httpStatusForSqlState(row.refusal_code)?.status };
        });

        const singleIds = new Map<string, number>();
        const single: Outcome[] = [];
        for (const [i, r] of requests.entries()) {
          const values = [r.outbound_flight_number, r.outbound_date, r.outbound_seat, r.inbound_flight_number, r.inbound_date,
            r.inbound_seat, r.user_id];
          try {
            const { rows } = r.idempotency_key
              ? await one.query(SINGLE_IDEMPOTENT, [...values, r.idempotency_key, r.request_fingerprint])
              : await one.query(SINGLE, values);
            single.push(...outcomesOf(rows, singleIds, i));
          } catch (e) {
            const error = e as pg.DatabaseError;
            single.push(...outcomesOf([{ refusal_code: error.code, refusal_message: error.message, refusal_detail: error.detail }], singleIds, i));
          }
        }

        const batchIds = new Map<string, number>();
        const inBatches: Outcome[] = [];
        for (let start = 0; start < requests.length;) {
          const size = 1 + Math.floor(next() * 12);
          const { rows } = await batched.query(BATCH, [JSON.stringify(requests.slice(start, start + size))]);
          inBatches.push(...outcomesOf(rows, batchIds, start));
          start += size;
        }

        assert.ok(single.some((o) => 'booked' in o) && single.some((o) => 'code' in o && o.code === 'BJ001'), 'the mix books and refuses');
        assert.deepEqual(inBatches, single);
        assert.deepEqual(await databaseState(batched, batchIds), await databaseState(one, singleIds));
      } finally {
        await one.end();
        await batched.end();
      }
    });
  }
});
