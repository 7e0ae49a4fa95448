/** Bookings with both legs, read through the `itineraries` view (sql/itineraries.sql). */
import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { isoDate, isoUtcTimestamp } from './sqlText.ts';

export interface ItineraryLeg {
  flightNumber: string;
  isoDate: string;
  seat: number;
  origin: string;
  destination: string;
  /** ISO 8601, local time at the origin, with its offset. */
  departureTime: string;
  /** ISO 8601, local time at the destination, with its offset. */
  arrivalTime: string;
}

export interface Itinerary {
  bookingId: string;
  userId: number;
  status: 'confirmed' | 'cancelled';
  outbound: ItineraryLeg;
  inbound: ItineraryLeg;
  /** ISO 8601 UTC. */
  createdAt: string;
  /** ISO 8601 UTC; null while the booking stands. */
  cancelledAt: string | null;
}

type ItineraryRow = {
  booking_id: string;
  user_id: number;
  status: 'confirmed' | 'cancelled';
  outbound_flight_number: string;
  outbound_date: string;
  outbound_seat: number;
  inbound_flight_number: string;
  inbound_date: string;
  inbound_seat: number;
  outbound_origin: string;
  outbound_destination: string;
  outbound_departure_time: string;
  outbound_arrival_time: string;
  inbound_origin: string;
  inbound_destination: string;
  inbound_departure_time: string;
  inbound_arrival_time: string;
  created_at: string;
  cancelled_at: string | null;
};

const COLUMNS = sql`i.booking_id, i.user_id, i.status,
  i.outbound_flight_number, ${isoDate(sql`i.outbound_date`)} as outbound_date, i.outbound_seat,
  i.inbound_flight_number, ${isoDate(sql`i.inbound_date`)} as inbound_date, i.inbound_seat,
  i.outbound_origin, i.outbound_destination, i.outbound_departure_time, i.outbound_arrival_time,
  i.inbound_origin, i.inbound_destination, i.inbound_departure_time, i.inbound_arrival_time,
  ${isoUtcTimestamp(sql`i.created_at`)} as created_at, ${isoUtcTimestamp(sql`i.cancelled_at`)} as cancelled_at`;

const toItinerary = (row: ItineraryRow): Itinerary => ({
  bookingId: row.booking_id,
  userId: row.user_id,
  status: row.status,
  outbound: {
    flightNumber: row.outbound_flight_number, isoDate: row.outbound_date, seat: row.outbound_seat,
    origin: row.outbound_origin, destination: row.outbound_destination,
    departureTime: row.outbound_departure_time, arrivalTime: row.outbound_arrival_time,
  },
  inbound: {
    flightNumber: row.inbound_flight_number, isoDate: row.inbound_date, seat: row.inbound_seat,
    origin: row.inbound_origin, destination: row.inbound_destination,
    departureTime: row.inbound_departure_time, arrivalTime: row.inbound_arrival_time,
  },
  createdAt: row.created_at,
  cancelledAt: row.cancelled_at,
});

export async function findItinerary(db: Db, bookingId: string): Promise<Itinerary | undefined> {
  const { rows } = await db.execute<ItineraryRow>(sql`
    select ${COLUMNS} from itineraries i where i.booking_id = ${bookingId}::uuid`);
  return rows[0] && toItinerary(rows[0]);
}

/**
 * A user's bookings, newest first, one page of them, with the user's total count. `userExists` tells an
 * unknown user from one without bookings. One statement: the count and the page agree.
 */
export async function listUserItineraries(
  db: Db, userId: number, page: { limit: number; offset: number },
): Promise<{ userExists: boolean; total: number; itineraries: Itinerary[] }> {
  const { rows } = await db.execute<{ user_exists: boolean; total: number } & Partial<ItineraryRow>>(sql`
    select counted.user_exists, counted.total, page.*
      from (select exists (select 1 from users u where u.id = ${userId}::int) as user_exists,
                   (select count(*)::int from bookings b where b.user_id = ${userId}::int) as total) counted
      left join lateral (
        select ${COLUMNS}, i.created_at as newest_first from itineraries i
         where i.user_id = ${userId}::int
         order by i.created_at desc, i.booking_id desc
         limit ${page.limit} offset ${page.offset}
      ) page on true
     order by page.newest_first desc, page.booking_id desc`);
  return {
    userExists: rows[0]?.user_exists ?? false,
    total: rows[0]?.total ?? 0,
    itineraries: rows.filter((r) => r.booking_id != null).map((r) => toItinerary(r as ItineraryRow)),
  };
}
