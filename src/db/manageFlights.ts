/**
 * Flight management through the SQL functions of sql/flights.sql: the rules (airports, times, capacity,
 * uniqueness, what a cancellation frees and whom it tells) are all there; this module only calls them.
 */
import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';

export interface NewFlightRow {
  flightNumber: string;
  isoDate: string;
  origin: string;
  destination: string;
  /** ISO 8601 with offset. */
  departureTime: string;
  arrivalTime: string;
  fare: number;
  capacity?: number;
}

/** Creates flights all together or none (create_flights); a batch of one is create_flight's rule. */
export async function createFlights(db: Db, flights: NewFlightRow[]): Promise<void> {
  const batch = JSON.stringify(flights.map((f) => ({
    flightNumber: f.flightNumber, date: f.isoDate, origin: f.origin, destination: f.destination,
    departureTime: f.departureTime, arrivalTime: f.arrivalTime, fare: f.fare, capacity: f.capacity,
  })));
  if (flights.length === 1) {
    const [f] = flights as [NewFlightRow];
    await db.execute(sql`select 1 from create_flight(${f.flightNumber}, ${f.isoDate}::date, ${f.origin}, ${f.destination},
      ${f.departureTime}::timestamptz, ${f.arrivalTime}::timestamptz, ${f.fare}::numeric, ${f.capacity ?? 8}::int)`);
    return;
  }
  await db.execute(sql`select 1 from create_flights(${batch}::jsonb)`);
}

export async function changeFlightTimes(
  db: Db, flight: { flightNumber: string; isoDate: string }, departureTime: string, arrivalTime: string,
): Promise<void> {
  await db.execute(sql`select 1 from change_flight_times(${flight.flightNumber}, ${flight.isoDate}::date,
    ${departureTime}::timestamptz, ${arrivalTime}::timestamptz)`);
}

export async function cancelFlight(
  db: Db, flight: { flightNumber: string; isoDate: string },
): Promise<{ cancelledBookings: number; releasedSeats: number }> {
  const { rows } = await db.execute<{ cancelled_bookings: number; released_seats: number }>(sql`
    select cancelled_bookings, released_seats from cancel_flight(${flight.flightNumber}, ${flight.isoDate}::date)`);
  return { cancelledBookings: rows[0]!.cancelled_bookings, releasedSeats: rows[0]!.released_seats };
}
