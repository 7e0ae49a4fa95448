/**
 * Seed data from CSV (seed_data/): parse, validate every row, cross-check, then load in one transaction.
 *
 * Any problem aborts with `file:line: what is wrong` (all problems at once, so a broken file is fixed in
 * one pass) and loads nothing. Loading is idempotent (`on conflict do nothing`), so re-running it never
 * duplicates, and it never overwrites a seat that a live booking holds.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CsvError, parse } from 'csv-parse/sync';
import type pg from 'pg';
import { wireDateToIso } from '../domain/dates.ts';
import { FLIGHT_NUMBER_PATTERN } from '../domain/wire.ts';

export interface SeedUser { id: number; firstName: string; lastName: string; numberOfPets: number }
export interface SeedFlight { flightNumber: string; isoDate: string }
export interface SeedSeat { flightNumber: string; isoDate: string; seatNumber: number; userId: number }
export interface SeedData { users: SeedUser[]; flights: SeedFlight[]; seats: SeedSeat[] }

export class SeedError extends Error {
  constructor(readonly problems: string[]) {
    super(`seed data rejected, nothing was loaded:\n  ${problems.join('\n  ')}`);
  }
}

const HEADERS = {
  'users.csv': ['Id', 'First_Name', 'Last_Name', 'Number_of_Pets'],
  'flights.csv': ['Flight_Number', 'Date', 'Seats_Taken'],
  'seatings.csv': ['Flight_Number', 'Date', 'Seat_Number', 'User_Id'],
} as const;
type SeedFile = keyof typeof HEADERS;

const FLIGHT_NUMBER = new RegExp(FLIGHT_NUMBER_PATTERN);

/**
 * The CSVs know flight numbers and dates only. Their flights get a route and times here (the same rule
 * the migration that introduced routes applied to flights that existed then): the LAX-SFO shuttle, odd
 * flight numbers (by their last character) LAX to SFO and even ones back, leaving at 09:00 and arriving
 * at 10:25 local time (both airports are on Pacific time), fare 199.00, the standard 8 seats. So the SPEC's
 * round trip (BKJT123 out, BKJT234 back) is a real one, and the CSV flights' order by departure is their
 * order by date, then flight number.
 */
export const CSV_ROUTE = {
  northbound: { origin: 'LAX', destination: 'SFO' },
  southbound: { origin: 'SFO', destination: 'LAX' },
  timeZone: 'America/Los_Angeles',
  departs: '09:00',
  arrives: '10:25',
  fare: '199.00',
} as const;

export const csvRouteOf = (flightNumber: string) =>
  flightNumber.charCodeAt(flightNumber.length - 1) % 2 === 1 ? CSV_ROUTE.northbound : CSV_ROUTE.southbound;
const INTEGER = /^\d+$/;
const TOTAL_SEATS = 8;

interface Row { line: number; fields: string[] }

/** Reads and checks the three files; throws SeedError listing every problem. */
export function readSeedData(dir: string): SeedData {
  const problems: string[] = [];
  const at = (file: SeedFile, line: number, what: string) => problems.push(`${file}:${line}: ${what}`);

  const rows = (file: SeedFile): Row[] => {
    let text: string;
    try {
      text = readFileSync(path.join(dir, file), 'utf8');
    } catch (e) {
      at(file, 0, `cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      return [];
    }
    let records: { record: string[]; info: { lines: number } }[];
    try {
      records = parse(text.replace(/^\uFEFF/, ''), {
        info: true, skip_empty_lines: true, relax_column_count: true, trim: true,
      }) as unknown as typeof records; // with `info: true` each record comes with its line number
    } catch (e) {
      at(file, e instanceof CsvError ? (e as CsvError & { lines?: number }).lines ?? 0 : 0, `not valid CSV: ${(e as Error).message}`);
      return [];
    }
    const [header, ...body] = records;
    const expected = HEADERS[file];
    if (!header || header.record.join(',') !== expected.join(',')) {
      at(file, header?.info.lines ?? 1, `header must be ${expected.join(',')}`);
      return [];
    }
    return body.flatMap(({ record, info }) => {
      if (record.length !== expected.length) {
        at(file, info.lines, `expected ${expected.length} fields, found ${record.length}`);
        return [];
      }
      return [{ line: info.lines, fields: record }];
    });
  };

  // users.csv
  const users = new Map<number, SeedUser>();
  for (const { line, fields: [id, firstName, lastName, pets] } of rows('users.csv') as { line: number; fields: [string, string, string, string] }[]) {
    const before = problems.length;
    if (!INTEGER.test(id) || Number(id) < 1 || Number(id) > 2_147_483_647) at('users.csv', line, `Id "${id}" is not a positive integer`);
    else if (users.has(Number(id))) at('users.csv', line, `Id ${id} appears twice`);
    if (!firstName) at('users.csv', line, 'First_Name is empty');
    if (!lastName) at('users.csv', line, 'Last_Name is empty');
    if (!INTEGER.test(pets) || Number(pets) > 2) at('users.csv', line, `Number_of_Pets "${pets}" must be 0, 1 or 2`);
    if (problems.length === before) {
      users.set(Number(id), { id: Number(id), firstName, lastName, numberOfPets: Number(pets) });
    }
  }

  // flights.csv
  const flights = new Map<string, SeedFlight & { line: number; seatsTaken: Set<number> }>();
  for (const { line, fields: [flightNumber, date, seatsTaken] } of rows('flights.csv') as { line: number; fields: [string, string, string] }[]) {
    const before = problems.length;
    const isoDate = wireDateToIso(date);
    if (!FLIGHT_NUMBER.test(flightNumber)) at('flights.csv', line, `Flight_Number "${flightNumber}" must be 2-10 capital letters or digits`);
    if (!isoDate) at('flights.csv', line, `Date "${date}" is not a real DD/MM/YYYY date`);
    const taken = new Set<number>();
    for (const item of seatsTaken === '' ? [] : seatsTaken.split(',').map((s) => s.trim())) {
      const seat = Number(item);
      if (!INTEGER.test(item) || seat < 1 || seat > TOTAL_SEATS) at('flights.csv', line, `Seats_Taken: "${item}" is not a seat 1-${TOTAL_SEATS}`);
      else if (taken.has(seat)) at('flights.csv', line, `Seats_Taken lists seat ${seat} twice`);
      else taken.add(seat);
    }
    const key = `${flightNumber} ${date}`;
    if (isoDate && flights.has(key)) at('flights.csv', line, `flight ${key} already defined on line ${flights.get(key)?.line}`);
    if (problems.length === before && isoDate) flights.set(key, { flightNumber, isoDate, line, seatsTaken: taken });
  }

  // seatings.csv, cross-checked against users and flights
  const seats: SeedSeat[] = [];
  const seatedOn = new Map<string, Map<number, number>>(); // flight key -> seat -> line
  for (const { line, fields: [flightNumber, date, seatText, userText] } of rows('seatings.csv') as { line: number; fields: [string, string, string, string] }[]) {
    const key = `${flightNumber} ${date}`;
    const flight = flights.get(key);
    const seat = Number(seatText);
    const userId = Number(userText);
    const before = problems.length;
    if (!flight) at('seatings.csv', line, `flight ${key} is not in flights.csv`);
    if (!INTEGER.test(seatText) || seat < 1 || seat > TOTAL_SEATS) at('seatings.csv', line, `Seat_Number "${seatText}" is not a seat 1-${TOTAL_SEATS}`);
    if (!INTEGER.test(userText) || !users.has(userId)) at('seatings.csv', line, `User_Id "${userText}" is not in users.csv`);
    if (problems.length > before || !flight) continue;
    const taken = seatedOn.get(key) ?? new Map<number, number>();
    seatedOn.set(key, taken);
    if (taken.has(seat)) {
      at('seatings.csv', line, `seat ${seat} on ${key} is already given on line ${taken.get(seat)}`);
      continue;
    }
    taken.set(seat, line);
    if (!flight.seatsTaken.has(seat)) {
      at('seatings.csv', line, `seat ${seat} on ${key} is not in Seats_Taken of flights.csv:${flight.line}`);
      continue;
    }
    seats.push({ flightNumber, isoDate: flight.isoDate, seatNumber: seat, userId });
  }
  for (const [key, flight] of flights) {
    const missing = [...flight.seatsTaken].filter((s) => !seatedOn.get(key)?.has(s));
    if (missing.length > 0) {
      at('flights.csv', flight.line, `Seats_Taken lists seat ${missing.join(', ')} of ${key} but seatings.csv does not seat anyone there`);
    }
  }

  if (problems.length > 0) throw new SeedError(problems);
  return {
    users: [...users.values()],
    flights: [...flights.values()].map(({ flightNumber, isoDate }) => ({ flightNumber, isoDate })),
    seats,
  };
}

export interface SeedResult { users: number; flights: number; seats: number }

/** Loads checked seed data in one transaction; rows that already exist are left alone. */
export async function loadSeedData(client: pg.ClientBase, data: SeedData): Promise<SeedResult> {
  await client.query('begin');
  try {
    const users = await client.query(
      `insert into users (id, first_name, last_name, number_of_pets)
       select * from unnest($1::int[], $2::text[], $3::text[], $4::smallint[])
       on conflict (id) do nothing`,
      [data.users.map((u) => u.id), data.users.map((u) => u.firstName), data.users.map((u) => u.lastName),
        data.users.map((u) => u.numberOfPets)],
    );
    const routes = data.flights.map((f) => csvRouteOf(f.flightNumber));
    const flights = await client.query(
      `insert into flights (flight_number, flight_date, origin, destination, departure_at, arrival_at, fare)
       select f.flight_number, f.flight_date, f.origin, f.destination,
              (f.flight_date + $5::time) at time zone $7, (f.flight_date + $6::time) at time zone $7, $8::numeric
         from unnest($1::text[], $2::date[], $3::text[], $4::text[]) as f(flight_number, flight_date, origin, destination)
       on conflict (flight_number, flight_date) do nothing`,
      [data.flights.map((f) => f.flightNumber), data.flights.map((f) => f.isoDate),
        routes.map((r) => r.origin), routes.map((r) => r.destination),
        CSV_ROUTE.departs, CSV_ROUTE.arrives, CSV_ROUTE.timeZone, CSV_ROUTE.fare],
    );
    const seats = await client.query(
      `insert into seats (flight_id, seat_number, user_id)
       select f.id, s.seat_number, s.user_id
         from unnest($1::text[], $2::date[], $3::smallint[], $4::int[]) as s(flight_number, flight_date, seat_number, user_id)
         join flights f using (flight_number, flight_date)
       on conflict (flight_id, seat_number) do nothing`,
      [data.seats.map((s) => s.flightNumber), data.seats.map((s) => s.isoDate), data.seats.map((s) => s.seatNumber),
        data.seats.map((s) => s.userId)],
    );
    await client.query('commit');
    return { users: users.rowCount ?? 0, flights: flights.rowCount ?? 0, seats: seats.rowCount ?? 0 };
  } catch (e) {
    await client.query('rollback');
    throw e;
  }
}

/** Start-up seeding: only into a database that has no flights yet, so live bookings are never touched. */
export async function seedIfEmpty(client: pg.ClientBase, dir: string): Promise<SeedResult | null> {
  const { rowCount } = await client.query('select 1 from flights limit 1');
  if (rowCount) return null;
  return loadSeedData(client, readSeedData(dir));
}
