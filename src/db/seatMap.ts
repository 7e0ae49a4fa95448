/**
 * A flight's seat map as of now: what the WebSocket `seats_snapshot` carries, plus the flight's
 * seats_version. One statement, so the seats and the version are read from the same snapshot.
 */
import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { isoDate, isoUtcTimestamp } from './sqlText.ts';

export interface SeatMapRead {
  flightNumber: string;
  isoDate: string;
  availableSeats: number[];
  totalSeats: number;
  version: number;
  /** When it was read, ISO 8601 UTC. */
  readAt: string;
}

export async function readSeatMap(db: Db, flightNumber: string, flightIsoDate: string): Promise<SeatMapRead | undefined> {
  const { rows } = await db.execute<{
    flight_number: string; flight_date: string; available_seats: number[]; total_seats: number;
    seats_version: string; read_at: string;
  }>(sql`
    select f.flight_number, ${isoDate(sql`f.flight_date`)} as flight_date, available_seats(f.id) as available_seats,
           f.total_seats, f.seats_version, ${isoUtcTimestamp(sql`clock_timestamp()`)} as read_at
      from flights f
     where f.flight_number = ${flightNumber} and f.flight_date = ${flightIsoDate}::date`);
  const row = rows[0];
  if (!row) return undefined;
  return {
    flightNumber: row.flight_number,
    isoDate: row.flight_date,
    availableSeats: row.available_seats,
    totalSeats: row.total_seats,
    version: Number(row.seats_version), // bigint arrives as text; a version stays far below 2^53
    readAt: row.read_at,
  };
}
