/**
 * Reads seat maps for snapshots: one statement for any number of flights, so the free seats and the
 * version of each flight come from one consistent snapshot of the database. Each map carries its flight's
 * route, local times, fare and status too.
 */
import { sql } from 'drizzle-orm';
import { isoToWireDate } from '../domain/dates.ts';
import type { Db } from './client.ts';
import { FLIGHT_COLUMNS, type FlightListing, type FlightRow, toFlightListing } from './listFlights.ts';

export interface FlightKey {
  flightNumber: string;
  isoDate: string;
}

export type SeatMap = Omit<FlightListing, 'isoDate'> & {
  date: string; // DD/MM/YYYY
  /** Seats kept by a hold: neither available nor booked. */
  heldSeats: number[];
  version: number;
};

export async function readSeatMaps(db: Db, flights: FlightKey[]): Promise<SeatMap[]> {
  if (flights.length === 0) return [];
  const wanted = JSON.stringify(flights.map((f) => ({ flight_number: f.flightNumber, flight_date: f.isoDate })));
  const { rows } = await db.execute<FlightRow & { held_seats: number[]; seats_version: string }>(sql`
    select ${FLIGHT_COLUMNS}, held_seats(s.id) as held_seats, s.seats_version
      from jsonb_to_recordset(${wanted}::jsonb) as w(flight_number text, flight_date date)
      join flight_schedule s using (flight_number, flight_date)`);
  return rows.map((r) => {
    const { isoDate, ...flight } = toFlightListing(r);
    return { ...flight, date: isoToWireDate(isoDate), heldSeats: r.held_seats, version: Number(r.seats_version) };
  });
}
