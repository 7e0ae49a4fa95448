/**
 * The bench database: a dedicated, migrated database holding a generated schedule, on a durable
 * (fsync on) embedded cluster, or on the server of DATABASE_URL under a unique name. Dropped at the end.
 *
 * The schedule is large (100,000 flights by default) so that uncontended bookings really touch different
 * flights. Flight `BJ<n>` (n = 1..flights) flies on 2030-01-01 + ((n - 1) % 365) days. Two extra flights
 * on 2029-12-31, the day before any other, serve the contention and fan-out scenarios: any schedule flight
 * can be their inbound leg.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../../src/config.ts';
import { startEmbeddedPostgres } from '../../src/provision/embedded.ts';
import { migrateDatabase } from '../../src/provision/migrate.ts';
import { freePort } from '../helpers/cluster.ts';

export const RACE_FLIGHT = { flightNumber: 'BJRACE', isoDate: '2029-12-31', date: '31/12/2029' };
export const FANOUT_FLIGHT = { flightNumber: 'BJFAN', isoDate: '2029-12-31', date: '31/12/2029' };
export const BENCH_USERS = 1000;
const NOTIFY_TRIGGER = '_500_notify_on_insert';
const NOTIFY_FUNCTION = 'notify_seats_changed(integer, smallint, smallint)';
/** The one pg_notify call in notify_seats_changed() (sql/seat_notifications.sql), signed payload kept. */
const PG_NOTIFY_CALL = /perform pg_notify\('seats_updated', ([^;]*)\);/;

/**
 * `count` flights numbered `<prefix>1`, `<prefix>2`, ...: flight n flies route n mod 132 (every ordered
 * pair of airports) on 2030-01-01 + ((n - 1) mod 365) days, leaving between 06:00 and 21:59 local time.
 */
export async function insertFlights(client: pg.Client, prefix: string, count: number, first = 1): Promise<void> {
  await client.query(`
    with routes as (
      select (row_number() over (order by o.code, d.code))::int - 1 as n, o.code as origin, d.code as destination, o.time_zone
        from airports o join airports d on o.code <> d.code
    )
    insert into flights (flight_number, flight_date, origin, destination, departure_at, arrival_at, fare)
    select $1 || g, day, r.origin, r.destination, (day + time '06:00' + make_interval(mins => g % 960)) at time zone r.time_zone,
           (day + time '08:00' + make_interval(mins => g % 960)) at time zone r.time_zone, 150 + g % 200
      from generate_series($2::int, $2::int + $3::int - 1) g
     cross join lateral (select date '2030-01-01' + ((g - 1) % 365)::int as day) d
      join routes r on r.n = g % (select count(*) from routes)`, [prefix, first, count]);
}

export type TriggerMode = 'on' | 'off' | 'no-notify';

export interface BenchDatabase {
  url: string;
  flights: number;
  /** Where the database runs and how: shown in the output beside the figures. */
  server: { kind: 'embedded' | 'DATABASE_URL'; version: string; settings: Record<string, string> };
  /** Empties seats and bookings, vacuums flights and checkpoints: every run starts alike. */
  reset(): Promise<void>;
  /**
   * The seat-change trigger as deployed (`on`), `off`, or (a diagnostic) running all its work but the
   * pg_notify call itself (`no-notify`, undefined when the trigger's code no longer has the expected shape).
   */
  setTrigger(mode: TriggerMode): Promise<void>;
  canSkipNotify: boolean;
  close(): Promise<void>;
}

const SETTINGS_SHOWN = ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers', 'max_connections'];

export async function openBenchDatabase(options: { flights: number; log: (line: string) => void }): Promise<BenchDatabase> {
  const name = `blackjet_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  let adminUrl: string;
  let kind: BenchDatabase['server']['kind'];
  let stopCluster = async () => {};
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
    kind = 'DATABASE_URL';
  } else {
    // On the project's disk (not a tmpfs /tmp), fsync on: commits cost what they cost in production.
    const dataDir = path.join(PROJECT_ROOT, '.data', name);
    mkdirSync(path.dirname(dataDir), { recursive: true });
    const embedded = await startEmbeddedPostgres({
      dataDir, port: await freePort(), database: 'postgres', persistent: false, durable: true,
    });
    adminUrl = embedded.url;
    kind = 'embedded';
    stopCluster = embedded.stop;
  }

  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'blackjet-bench' });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dropAll = async () => {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    await stopCluster();
  };

  const client = new pg.Client({ connectionString: url.toString(), application_name: 'blackjet-bench' });
  try {
    await migrateDatabase(url.toString());
    await client.connect();
    const started = performance.now();
    await client.query(`insert into users (id, first_name, last_name, number_of_pets)
      select g, 'Bench', 'User' || g, 0 from generate_series(1, ${BENCH_USERS}) g`);
    await insertFlights(client, 'BJ', options.flights);
    await client.query(`insert into flights (flight_number, flight_date, origin, destination, departure_at, arrival_at, fare)
      select n, d, 'LAX', 'SFO', (d + time '09:00') at time zone 'America/Los_Angeles',
             (d + time '10:25') at time zone 'America/Los_Angeles', 199
        from (values ($1, $2::date), ($3, $4::date)) as v(n, d)`,
      [RACE_FLIGHT.flightNumber, RACE_FLIGHT.isoDate, FANOUT_FLIGHT.flightNumber, FANOUT_FLIGHT.isoDate]);
    await client.query('vacuum analyze');
    options.log(`schedule: ${options.flights.toLocaleString('en')} flights, ${BENCH_USERS} users in ${Math.round(performance.now() - started)} ms`);
  } catch (e) {
    await client.end().catch(() => undefined);
    await dropAll();
    throw e;
  }

  const version = (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
  const settings: Record<string, string> = {};
  for (const setting of SETTINGS_SHOWN) {
    settings[setting] = (await client.query<Record<string, string>>(`show ${setting}`)).rows[0]![setting]!;
  }

  const deployed = (await client.query<{ d: string }>(`select pg_get_functiondef($1::regprocedure) as d`, [NOTIFY_FUNCTION])).rows[0]!.d;
  const withoutNotify = deployed.replace(PG_NOTIFY_CALL, 'perform $1;');
  const canSkipNotify = withoutNotify !== deployed;

  return {
    url: url.toString(),
    flights: options.flights,
    server: { kind, version, settings },
    async reset() {
      await client.query('truncate seats, idempotency_keys, booking_passengers, seat_holds, bookings');
      await client.query('vacuum flights');
      await client.query('checkpoint').catch(() => undefined); // needs pg_checkpoint or superuser under DATABASE_URL
    },
    canSkipNotify,
    async setTrigger(mode: TriggerMode) {
      if (mode === 'no-notify' && !canSkipNotify) throw new Error('notify_seats_changed() has no recognisable pg_notify call');
      await client.query(`alter table seats ${mode === 'off' ? 'disable' : 'enable'} trigger ${NOTIFY_TRIGGER}`);
      await client.query(mode === 'no-notify' ? withoutNotify : deployed);
    },
    async close() {
      await client.end().catch(() => undefined);
      await dropAll();
    },
  };
}
