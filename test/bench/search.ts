/**
 * Search at scale: the bench database topped up to `flights` flights (1,000,000 by default), then one
 * client at a time over HTTP, alternating, each request timed from send to full body:
 *   - GET /api/flights?origin&destination&departureFrom&departureTo (a random route, a random week)
 *   - GET /api/flights/seats (a random flight): the seat-map read, the reference beside it.
 * Also checks the search plan: no sequential scan of flights.
 */
import type { Pool } from 'undici';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { searchStatement } from '../../src/db/listFlights.ts';
import { insertFlights } from './database.ts';
import { type LatencySummary, nowMs, summarize } from './stats.ts';

export interface SearchResult {
  flights: number;
  requests: number;
  search: LatencySummary;
  seatMap: LatencySummary;
  /** Matches per search, median. */
  matches: number;
  seqScan: boolean;
}

const AIRPORTS = ['ATL', 'BOS', 'DEN', 'DFW', 'JFK', 'LAS', 'LAX', 'MIA', 'ORD', 'PHX', 'SEA', 'SFO'];

/** Adds flights `BS<n>` until the database holds `target` flights; indexes rebuilt once, after the load. */
export async function topUpFlights(url: string, target: number, log: (line: string) => void): Promise<number> {
  const client = new pg.Client({ connectionString: url, application_name: 'blackjet-bench' });
  await client.connect();
  try {
    const have = Number((await client.query('select count(*) as n from flights')).rows[0].n);
    if (have < target) {
      const started = performance.now();
      const indexes = (await client.query(`select indexname, indexdef from pg_indexes where tablename = 'flights'
        and indexname not in (select conname from pg_constraint where conrelid = 'flights'::regclass)`)).rows;
      for (const { indexname } of indexes) await client.query(`drop index ${indexname}`);
      await client.query('set session_replication_role = replica'); // generated rows: no per-row triggers
      await insertFlights(client, 'BS', target - have);
      await client.query('reset session_replication_role');
      for (const { indexdef } of indexes) await client.query(indexdef);
      await client.query('vacuum analyze flights');
      log(`search: topped up to ${target.toLocaleString('en')} flights in ${Math.round(performance.now() - started)} ms`);
    }
    return Math.max(have, target);
  } finally {
    await client.end();
  }
}

async function timed(pool: Pool, path: string): Promise<{ ms: number; body: any }> {
  const started = nowMs();
  const response = await pool.request({ path, method: 'GET' });
  const text = await response.body.text();
  const ms = nowMs() - started;
  if (response.statusCode !== 200) throw new Error(`GET ${path}: ${response.statusCode} ${text}`);
  return { ms, body: JSON.parse(text) };
}

/** `scheduleFlights`: how many `BJ<n>` flights the bench schedule has (the seat maps read are among them). */
export async function runSearch(url: string, http: Pool, flights: number, scheduleFlights: number, requests: number): Promise<SearchResult> {
  const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;
  const day = (offset: number) => new Date(Date.UTC(2030, 0, 1 + offset)).toISOString().slice(0, 10);
  const search: number[] = [];
  const seatMap: number[] = [];
  const matches: number[] = [];
  for (let i = 0; i < requests; i++) {
    const origin = pick(AIRPORTS);
    const destination = pick(AIRPORTS.filter((a) => a !== origin));
    const start = Math.floor(Math.random() * 358);
    const found = await timed(http, `/api/flights?origin=${origin}&destination=${destination}&departureFrom=${day(start)}&departureTo=${day(start + 6)}&minFreeSeats=1`);
    search.push(found.ms);
    matches.push(found.body.total);
    const n = 1 + Math.floor(Math.random() * scheduleFlights);
    const date = day((n - 1) % 365).split('-').reverse().join('/');
    seatMap.push((await timed(http, `/api/flights/seats?flightNumber=BJ${n}&date=${date}`)).ms);
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const statement = new PgDialect().sqlToQuery(searchStatement({
    origin: 'LAX', destination: 'JFK', departureFrom: { isoDate: '2030-03-01' }, departureTo: { isoDate: '2030-03-07' }, minFreeSeats: 1,
  }, { limit: 20, offset: 0 }));
  const plan = (await client.query(`explain ${statement.sql}`, statement.params)).rows.map((r) => r['QUERY PLAN']).join('\n');
  await client.end();
  matches.sort((a, b) => a - b);
  return {
    flights, requests, search: summarize(search), seatMap: summarize(seatMap),
    matches: matches[Math.floor(matches.length / 2)] ?? 0, seqScan: /Seq Scan on flights/.test(plan),
  };
}
