/**
 * Reads seat maps for snapshots: one statement for any number of flights, so the free seats and the
 * version of each flight come from one consistent snapshot of the database.
 */
import { sql } from 'drizzle-orm';
import { isoToWireDate } from '../domain/dates.ts';
import type { Db } from './client.ts';

export interface FlightKey {
  flightNumber: string;
  isoDate: string;
}

export interface SeatMap {
  flightNumber: string;
  date: string; // DD/MM/YYYY
  availableSeats: number[];
  totalSeats: number;
  version: number;
}

export async function readSeatMaps(db: Db, flights: FlightKey[]): Promise<SeatMap[]> {
  if (flights.length === 0) return [];
  const wanted = JSON.stringify(flights.map((f) => ({ flight_number: f.flightNumber, flight_date: f.isoDate })));
  const { rows } = await db.execute<{
    flight_number: string; flight_date: string; available: number[]; total_seats: number; seats_version: string;
  }>(sql`
    select f.flight_number, f.flight_date::text as flight_date, available_seats(f.id) as available,
           f.total_seats, f.seats_version
      from jsonb_to_recordset(${wanted}::jsonb) as w(flight_number text, flight_date date)
      join flights f using (flight_number, flight_date)`);
  return rows.map((r) => ({
    flightNumber: r.flight_number,
    date: isoToWireDate(r.flight_date),
    availableSeats: r.available,
    totalSeats: r.total_seats,
    version: Number(r.seats_version),
  }));
}
