/**
 * Calls book_round_trip() (sql/book_round_trip.sql): the whole booking is one statement. The hottest
 * query of the API, so it goes to pg directly: a named statement (parsed and planned once per
 * connection), and a refused booking keeps its connection (see queryKeepingConnection).
 */
import { type Db, queryKeepingConnection } from './client.ts';

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

export async function bookRoundTrip(db: Db, trip: RoundTrip): Promise<BookedRoundTrip> {
  const { rows } = await queryKeepingConnection<{ booking_id: string; status: 'confirmed' }>(db.$client, {
    name: 'book_round_trip',
    text: `select booking_id, status from book_round_trip(
             outbound_flight_number => $1, outbound_date => $2::date, outbound_seat => $3::int,
             inbound_flight_number => $4, inbound_date => $5::date, inbound_seat => $6::int, user_id => $7::int)`,
    values: [trip.outboundFlightNumber, trip.outboundIsoDate, trip.outboundSeat,
      trip.inboundFlightNumber, trip.inboundIsoDate, trip.inboundSeat, trip.userId],
  });
  const row = rows[0];
  if (!row) throw new Error('book_round_trip returned no row');
  return { bookingId: row.booking_id, status: row.status };
}
