/**
 * Flight search (GET /api/flights) against a generated schedule: every answer is compared with the same
 * search done independently over all flights, results and order; round trips; local times. And the plans
 * at 200,000 flights with analyzed statistics: every search shape is an index scan, never a sequential scan
 * of flights. (Loading 1 million takes over a minute on a 2-core machine; `npm run bench` searches at 1
 * million and checks the plan there too.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { searchStatement, type FlightFilter } from '../src/db/listFlights.ts';
import { query } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { callApi } from './helpers/contract.ts';
import { freshApiPerTest } from './helpers/setup.ts';

const t = freshApiPerTest();
const get = (path: string) => callApi(t.api.url, 'GET', path);
const FIRST_DAY = '2026-03-02';
const DAYS = 21;

interface Flight { key: string; origin: string; destination: string; isoDate: string; departs: number; free: number; status: string }

/** Every flight, straight from the tables. */
async function allFlights(url: string): Promise<Flight[]> {
  const rows = await query(url, `
    select f.flight_number, to_char(f.flight_date, 'DD/MM/YYYY') as date, to_char(f.flight_date, 'YYYY-MM-DD') as iso,
           f.origin, f.destination, extract(epoch from f.departure_at) * 1000 as departs, f.status,
           f.total_seats - (select count(*) from seats s where s.flight_id = f.id)::int as free
      from flights f`);
  return rows.map((r) => ({
    key: `${r.flight_number} ${r.date}`, origin: r.origin, destination: r.destination, isoDate: r.iso,
    departs: Number(r.departs), free: r.free, status: r.status,
  }));
}

/** The expected answer: filter, then order by departure and flight number. */
const expected = (flights: Flight[], keep: (f: Flight) => boolean) => flights.filter(keep)
  .sort((a, b) => a.departs - b.departs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((f) => f.key);

/** Every page of a search, concatenated. */
async function searchAll(path: string): Promise<string[]> {
  const keys: string[] = [];
  for (let page = 1; ; page++) {
    const { status, body } = await get(`${path}&limit=100&page=${page}`);
    assert.equal(status, 200, JSON.stringify(body));
    keys.push(...body.items.map((f: any) => `${f.flightNumber} ${f.date}`));
    if (body.items.length < 100) {
      assert.equal(body.total, keys.length);
      return keys;
    }
  }
}

describe('GET /api/flights: search a generated schedule', () => {
  let flights: Flight[];
  const generate = async () => {
    const [{ added }] = await query(t.databaseUrl, 'select generate_demo_schedule($1, $2) as added', [FIRST_DAY, DAYS]);
    assert.ok(added > 1000, `generated ${added}`);
    // Fill some flights so that minFreeSeats has something to tell apart.
    await query(t.databaseUrl, `insert into seats (flight_id, seat_number, user_id)
      select f.id, n, 1 from flights f cross join generate_series(1, 6) n
       where f.origin = 'LAX' and f.flight_date = '2026-03-05' and f.total_seats = 8 and n <= f.id % 7`);
    flights = await allFlights(t.databaseUrl);
  };

  it('filters by route, day range, instants, free seats and status; results and order as computed independently', async () => {
    await generate();
    const cases: [string, (f: Flight) => boolean][] = [
      ['origin=LAX&destination=SFO&departureFrom=2026-03-04&departureTo=2026-03-10',
        (f) => f.origin === 'LAX' && f.destination === 'SFO' && f.isoDate >= '2026-03-04' && f.isoDate <= '2026-03-10'],
      ['origin=LAX&departureFrom=2026-03-05&departureTo=2026-03-05',
        (f) => f.origin === 'LAX' && f.isoDate === '2026-03-05'],
      ['destination=JFK&departureFrom=2026-03-06T00:00:00Z&departureTo=2026-03-08T12:00:00-05:00',
        (f) => f.destination === 'JFK' && f.departs >= Date.parse('2026-03-06T00:00:00Z') && f.departs <= Date.parse('2026-03-08T12:00:00-05:00')],
      ['origin=LAX&departureFrom=2026-03-05&departureTo=2026-03-05&minFreeSeats=5',
        (f) => f.origin === 'LAX' && f.isoDate === '2026-03-05' && f.free >= 5],
      ['departureFrom=2026-03-10&departureTo=2026-03-11&status=scheduled',
        (f) => f.isoDate >= '2026-03-10' && f.isoDate <= '2026-03-11' && f.status === 'scheduled'],
      ['from=10/03/2026&to=10/03/2026&destination=SEA',
        (f) => f.isoDate === '2026-03-10' && f.destination === 'SEA'],
    ];
    for (const [search, keep] of cases) {
      const want = expected(flights, keep);
      assert.ok(want.length > 0, `${search} matches nothing: a useless case`);
      assert.deepEqual(await searchAll(`/api/flights?${search}`), want, search);
    }
    // minFreeSeats really filtered something out.
    assert.ok(expected(flights, (f) => f.origin === 'LAX' && f.isoDate === '2026-03-05' && f.free < 5).length > 0);
  });

  it('each flight carries its route, local times with offsets, fare and status', async () => {
    await generate();
    const { body } = await get('/api/flights?origin=LAX&destination=PHX&departureFrom=2026-03-02&limit=1');
    const [flight] = body.items;
    assert.equal(flight.origin, 'LAX');
    assert.equal(flight.destination, 'PHX');
    assert.match(flight.departureTime, /^2026-03-02T\d{2}:\d{2}:00-08:00$/); // Los Angeles in March, before DST
    assert.match(flight.arrivalTime, /^2026-03-02T\d{2}:\d{2}:00-07:00$/); // Phoenix keeps no DST
    assert.ok(Date.parse(flight.arrivalTime) > Date.parse(flight.departureTime));
    const [row] = await query(t.databaseUrl, `select extract(epoch from departure_at) * 1000 as departs, fare::float as fare, total_seats
      from flights where flight_number = $1 and flight_date = '2026-03-02'`, [flight.flightNumber]);
    assert.equal(Date.parse(flight.departureTime), Number(row.departs));
    assert.deepEqual([flight.fare, flight.totalSeats, flight.status, flight.originTimeZone], [row.fare, row.total_seats, 'scheduled', 'America/Los_Angeles']);
  });

  it('round trip: outbound and inbound candidates in one call, each in its own window', async () => {
    await generate();
    const { status, body } = await get('/api/flights?origin=BOS&destination=ATL&departureFrom=2026-03-03&departureTo=2026-03-04&returnFrom=2026-03-08&returnTo=2026-03-09&limit=100');
    assert.equal(status, 200);
    assert.deepEqual(body.items.map((f: any) => `${f.flightNumber} ${f.date}`),
      expected(flights, (f) => f.origin === 'BOS' && f.destination === 'ATL' && f.isoDate >= '2026-03-03' && f.isoDate <= '2026-03-04'));
    assert.deepEqual(body.inbound.items.map((f: any) => `${f.flightNumber} ${f.date}`),
      expected(flights, (f) => f.origin === 'ATL' && f.destination === 'BOS' && f.isoDate >= '2026-03-08' && f.isoDate <= '2026-03-09'));
    assert.ok(body.inbound.items.length > 0 && body.inbound.total === body.inbound.items.length);
  });

  it('400 for a round trip without its route, a bound that is not a real instant, a range that runs backwards', async () => {
    for (const [search, field] of [
      ['returnFrom=2026-03-08', 'origin'], ['departureFrom=2026-02-30', 'departureFrom'],
      ['departureFrom=2026-03-02T25:00:00Z', 'departureFrom'], ['departureFrom=2026-03-05&departureTo=2026-03-04', 'departureTo'],
      ['origin=lax', 'origin'], ['minFreeSeats=0', 'minFreeSeats'], ['status=delayed', 'status'],
    ]) {
      const { status, body } = await get(`/api/flights?${search}`);
      assert.equal(status, 400, search);
      assert.ok(body.details.some((d: any) => d.field === field), `${search}: ${JSON.stringify(body.details)}`);
    }
  });
});

/** Enough rows that a sequential scan would be the planner's choice if an index were missing. */
const PLAN_FLIGHTS = 200_000;

describe(`search plans at ${PLAN_FLIGHTS.toLocaleString('en')} flights`, () => {
  let cluster: TestCluster;
  let client: pg.Client;
  before(async () => {
    cluster = await startTestCluster();
    client = new pg.Client({ connectionString: await cluster.freshDatabase() });
    await client.connect();
    // Generated rows are right by construction: load them without per-row triggers and foreign-key checks.
    await client.query('set session_replication_role = replica');
    // ...and build the search indexes once, after the load, rather than row by row.
    const indexes = (await client.query(`select indexdef from pg_indexes where tablename = 'flights'
      and indexname not in (select conname from pg_constraint where conrelid = 'flights'::regclass)`)).rows.map((r) => r.indexdef as string);
    assert.ok(indexes.length >= 4, indexes.join('\n'));
    for (const definition of indexes) await client.query(`drop index ${/INDEX (\S+) ON/.exec(definition)![1]}`);
    // 200,000 flights: 132 routes, 20 numbers a day each, over 76 days around the searched June;
    // local dates checked by the trigger.
    await client.query(`
      insert into flights (flight_number, flight_date, origin, destination, departure_at, arrival_at, fare)
      select 'Q' || r.n * 20 + k, d::date, r.o, r.dst,
             (d::date + time '05:00' + make_interval(mins => k * 45)) at time zone r.tz,
             (d::date + time '07:00' + make_interval(mins => k * 45)) at time zone r.tz, 150
        from (select row_number() over () as n, o.code as o, o.time_zone as tz, x.code as dst
                from airports o join airports x on o.code <> x.code) r
       cross join generate_series(0, 19) k
       cross join generate_series(date '2026-05-01', date '2026-05-01' + 75, interval '1 day') d
       limit ${PLAN_FLIGHTS}`);
    for (const definition of indexes) await client.query(definition);
    await client.query('reset session_replication_role');
    await client.query('analyze flights');
  });
  after(async () => {
    await client?.end();
    await cluster?.stop();
  });

  it('every search shape uses an index, never a sequential scan of flights', async () => {
    const [{ count }] = (await client.query('select count(*)::int as count from flights')).rows;
    assert.ok(count >= PLAN_FLIGHTS, `${count} flights`);
    const dialect = new PgDialect();
    const shapes: FlightFilter[] = [
      { origin: 'LAX', destination: 'JFK', departureFrom: { isoDate: '2026-06-01' }, departureTo: { isoDate: '2026-06-07' } },
      { origin: 'LAX', destination: 'JFK', departureFrom: { instant: '2026-06-01T00:00:00Z' }, minFreeSeats: 2, status: 'scheduled' },
      { origin: 'SEA', departureFrom: { isoDate: '2026-06-01' }, departureTo: { isoDate: '2026-06-02' } },
      { destination: 'MIA', departureFrom: { isoDate: '2026-06-01' }, departureTo: { isoDate: '2026-06-01' } },
      { departureFrom: { isoDate: '2026-06-01' }, departureTo: { isoDate: '2026-06-01' }, hasAvailableSeats: true },
      { flightNumber: 'Q123', departureFrom: { isoDate: '2026-06-01' }, departureTo: { isoDate: '2026-06-30' } },
    ];
    for (const filter of shapes) {
      const statement = dialect.sqlToQuery(searchStatement(filter, { limit: 20, offset: 0 }));
      const plan = (await client.query(`explain ${statement.sql}`, statement.params)).rows.map((r) => r['QUERY PLAN']).join('\n');
      assert.doesNotMatch(plan, /Seq Scan on flights/, `${JSON.stringify(filter)}:\n${plan}`);
      assert.match(plan, /Index (Only )?Scan|Bitmap Index Scan/, plan);
    }
  });
});
