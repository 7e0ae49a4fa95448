/** Calls book_round_trip() (sql/book_round_trip.sql): the whole booking is one statement. */
import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';

export interface RoundTrip {
  outboundFlightNumber: string;
  outboundIsoDate: string;
  outboundSeat: number;
  inboundFlightNumber: string;
  inboundIsoDate: string;
  inboundSeat: number;
  userId: number;
}

export interface BookedRoundTrip {
  bookingId: string;
  status: 'confirmed';
}

/** The named arguments of book_round_trip(), which book_round_trip_idempotent() takes too. */
export const roundTripArguments = (trip: RoundTrip) => sql`
  outbound_flight_number => ${trip.outboundFlightNumber},
  outbound_date => ${trip.outboundIsoDate}::date,
  outbound_seat => ${trip.outboundSeat}::int,
  inbound_flight_number => ${trip.inboundFlightNumber},
  inbound_date => ${trip.inboundIsoDate}::date,
  inbound_seat => ${trip.inboundSeat}::int,
  user_id => ${trip.userId}::int`;

export async function bookRoundTrip(db: Db, trip: RoundTrip): Promise<BookedRoundTrip> {
  const { rows } = await db.execute<{ booking_id: string; status: 'confirmed' }>(sql`
    select booking_id, status from book_round_trip(${roundTripArguments(trip)})`);
  const row = rows[0];
  if (!row) throw new Error('book_round_trip returned no row');
  return { bookingId: row.booking_id, status: row.status };
}
