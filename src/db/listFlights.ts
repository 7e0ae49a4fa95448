/**
 * Flight search: one page of flights with their route, times and free seats, and how many match in all.
 *
 * Every search is ordered by departure, then flight number, and each filter combination maps to an index
 * ending in departure_at (schema.ts): origin and destination, origin, destination, or none. A day bound
 * (`date`, `from`, `to`, or a date-only `departureFrom`/`departureTo`) filters on the flight's date, the
 * local departure date at its origin; it also bounds departure_at by that day widened by the widest UTC
 * offsets (-12 h, +14 h), which every flight of that date departs within, so that the index range scan
 * stays narrow. An instant bound (`departureFrom=2025-04-07T12:00:00Z`) filters departure_at directly.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { isoDate } from './sqlText.ts';

/** A bound on departure: a day (ISO date) or an instant (ISO 8601 date-time with offset). */
export type DepartureBound = { isoDate: string } | { instant: string };

export interface FlightFilter {
  flightNumber?: string;
  origin?: string;
  destination?: string;
  departureFrom?: DepartureBound;
  departureTo?: DepartureBound;
  hasAvailableSeats?: boolean;
  minFreeSeats?: number;
  status?: 'scheduled' | 'cancelled';
}

export interface FlightListing {
  flightNumber: string;
  isoDate: string;
  origin: string;
  destination: string;
  /** ISO 8601 in the origin's local time, with its offset. */
  departureTime: string;
  /** ISO 8601 in the destination's local time, with its offset. */
  arrivalTime: string;
  originTimeZone: string;
  destinationTimeZone: string;
  fare: number;
  status: 'scheduled' | 'cancelled';
  availableSeats: number[];
  totalSeats: number;
}

/** The flight columns every read that shows a flight selects, from `flight_schedule s`. */
export const FLIGHT_COLUMNS = sql`s.flight_number, ${isoDate(sql`s.flight_date`)} as flight_date, s.origin, s.destination,
  s.departure_local, s.arrival_local, s.origin_time_zone, s.destination_time_zone, s.fare::text as fare, s.status,
  s.total_seats, available_seats(s.id) as available_seats`;

export type FlightRow = {
  flight_number: string; flight_date: string; origin: string; destination: string;
  departure_local: string; arrival_local: string; origin_time_zone: string; destination_time_zone: string;
  fare: string; status: 'scheduled' | 'cancelled'; total_seats: number; available_seats: number[];
};

export const toFlightListing = (r: FlightRow): FlightListing => ({
  flightNumber: r.flight_number,
  isoDate: r.flight_date,
  origin: r.origin,
  destination: r.destination,
  departureTime: r.departure_local,
  arrivalTime: r.arrival_local,
  originTimeZone: r.origin_time_zone,
  destinationTimeZone: r.destination_time_zone,
  fare: Number(r.fare),
  status: r.status,
  availableSeats: r.available_seats,
  totalSeats: r.total_seats,
});

function departureConditions(bound: DepartureBound | undefined, side: 'from' | 'to'): SQL[] {
  if (!bound) return [];
  if ('instant' in bound) {
    return [side === 'from' ? sql`f.departure_at >= ${bound.instant}::timestamptz` : sql`f.departure_at <= ${bound.instant}::timestamptz`];
  }
  const day = sql`${bound.isoDate}::date`;
  return side === 'from'
    ? [sql`f.flight_date >= ${day}`, sql`f.departure_at >= (${day}::timestamp at time zone 'UTC') - interval '14 hours'`]
    : [sql`f.flight_date <= ${day}`, sql`f.departure_at < ((${day} + 1)::timestamp at time zone 'UTC') + interval '12 hours'`];
}

/** The WHERE clause of a search, on `flights f`. */
export function searchConditions(filter: FlightFilter): SQL {
  const conditions: SQL[] = [sql`true`];
  if (filter.flightNumber !== undefined) conditions.push(sql`f.flight_number = ${filter.flightNumber}`);
  if (filter.origin !== undefined) conditions.push(sql`f.origin = ${filter.origin}`);
  if (filter.destination !== undefined) conditions.push(sql`f.destination = ${filter.destination}`);
  conditions.push(...departureConditions(filter.departureFrom, 'from'), ...departureConditions(filter.departureTo, 'to'));
  if (filter.status !== undefined) conditions.push(sql`f.status = ${filter.status}`);
  const taken = sql`(select count(*) from seats s where s.flight_id = f.id)`;
  if (filter.hasAvailableSeats !== undefined) conditions.push(sql`(${taken} < f.total_seats) = ${filter.hasAvailableSeats}`);
  if (filter.minFreeSeats !== undefined) conditions.push(sql`f.total_seats - ${taken} >= ${filter.minFreeSeats}::int`);
  return sql.join(conditions, sql` and `);
}

/** The search statement itself (also EXPLAINed by the tests and the bench). */
export function searchStatement(filter: FlightFilter, page: { limit: number; offset: number }): SQL {
  // The count and the page come from one statement, so they agree with each other. The left join keeps
  // the count when the page is past the end (its flight columns are then null). Only the page's flights
  // are joined to their airports and have their seat maps read.
  return sql`
    with matching as (
      select f.id, f.departure_at, f.flight_number from flights f where ${searchConditions(filter)}
    )
    select counted.total, page.*
      from (select count(*)::int as total from matching) counted
      left join lateral (
        select ${FLIGHT_COLUMNS}, m.departure_at as departs
          from (select * from matching order by departure_at, flight_number limit ${page.limit} offset ${page.offset}) m
          join flight_schedule s on s.id = m.id
      ) page on true
     order by page.departs, page.flight_number`;
}

export async function listFlights(
  db: Db, filter: FlightFilter, page: { limit: number; offset: number },
): Promise<{ total: number; flights: FlightListing[] }> {
  const { rows } = await db.execute<{ total: number } & Partial<FlightRow>>(searchStatement(filter, page));
  return {
    total: rows[0]?.total ?? 0,
    flights: rows.filter((r) => r.flight_number != null).map((r) => toFlightListing(r as FlightRow)),
  };
}
