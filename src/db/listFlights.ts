/** One page of flights, with each flight's free seats, and how many flights match in all. */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { isoDate } from './sqlText.ts';

export interface FlightFilter {
  flightNumber?: string;
  isoDate?: string;
  fromIsoDate?: string;
  toIsoDate?: string;
  hasAvailableSeats?: boolean;
}

export interface FlightListing {
  flightNumber: string;
  isoDate: string;
  availableSeats: number[];
  totalSeats: number;
}

export async function listFlights(
  db: Db, filter: FlightFilter, page: { limit: number; offset: number },
): Promise<{ total: number; flights: FlightListing[] }> {
  const conditions: SQL[] = [sql`true`];
  if (filter.flightNumber !== undefined) conditions.push(sql`f.flight_number = ${filter.flightNumber}`);
  if (filter.isoDate !== undefined) conditions.push(sql`f.flight_date = ${filter.isoDate}::date`);
  if (filter.fromIsoDate !== undefined) conditions.push(sql`f.flight_date >= ${filter.fromIsoDate}::date`);
  if (filter.toIsoDate !== undefined) conditions.push(sql`f.flight_date <= ${filter.toIsoDate}::date`);
  if (filter.hasAvailableSeats !== undefined) {
    conditions.push(sql`((select count(*) from seats s where s.flight_id = f.id) < f.total_seats) = ${filter.hasAvailableSeats}`);
  }

  // The count and the page come from one statement, so they agree with each other. The left join keeps
  // the count when the page is past the end (its flight columns are then null).
  const { rows } = await db.execute<{
    total: number; flight_number: string | null; flight_date: string | null;
    available_seats: number[] | null; total_seats: number | null;
  }>(sql`
    with matching as (
      select f.id, f.flight_number, f.flight_date, f.total_seats
        from flights f
       where ${sql.join(conditions, sql` and `)}
    )
    select counted.total, page.flight_number, ${isoDate(sql`page.flight_date`)} as flight_date,
           page.total_seats, available_seats(page.id) as available_seats
      from (select count(*)::int as total from matching) counted
      left join lateral (
        select * from matching order by flight_date, flight_number limit ${page.limit} offset ${page.offset}
      ) page on true
     order by page.flight_date, page.flight_number`);

  return {
    total: rows[0]?.total ?? 0,
    flights: rows.filter((r) => r.flight_number !== null).map((r) => ({
      flightNumber: r.flight_number!,
      isoDate: r.flight_date!,
      availableSeats: r.available_seats!,
      totalSeats: r.total_seats!,
    })),
  };
}
