/**
 * Calls book_round_trips() (sql/book_round_trips.sql): several bookings in one transaction, each through
 * the same rule as a single call, each answered on its own row: the booking, or the refusal the single
 * call would have raised (SQLSTATE, message, detail), first-hand or replayed from its idempotency key.
 */
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

/** Where and when a leg flies: the booked flights' route and local times (ISO 8601 with offset). */
export interface LegRoute {
  origin: string;
  destination: string;
  departureTime: string;
  arrivalTime: string;
}

export interface BookedRoundTrip {
  bookingId: string;
  status: 'confirmed';
  /** Read in the batch's own statement, so the answer needs no second round trip. */
  routes?: { outbound: LegRoute; inbound: LegRoute };
}

/** A refusal of the booking rules: the SQLSTATE, message and JSON detail the single call raises. */
export interface Refusal {
  code: string;
  message: string;
  detail: string | undefined;
}

export interface BatchRequest {
  trip: RoundTrip;
  /** Present for a request with an Idempotency-Key: it then goes through book_round_trip_idempotent(). */
  idempotency?: { idempotencyKey: string; requestFingerprint: string };
}

/** `replayed`: the stored outcome of an earlier request with the same idempotency key (never without a key). */
export type BatchOutcome = { replayed: boolean } & ({ booked: BookedRoundTrip } | { refused: Refusal });

/** The function's JSON request: book_round_trip()'s argument names. */
const requestJson = ({ trip, idempotency }: BatchRequest) => ({
  outbound_flight_number: trip.outboundFlightNumber,
  outbound_date: trip.outboundIsoDate,
  outbound_seat: trip.outboundSeat,
  inbound_flight_number: trip.inboundFlightNumber,
  inbound_date: trip.inboundIsoDate,
  inbound_seat: trip.inboundSeat,
  user_id: trip.userId,
  ...(idempotency ? { idempotency_key: idempotency.idempotencyKey, request_fingerprint: idempotency.requestFingerprint } : {}),
});

type OutcomeRow = {
  ordinal: number;
  booking_id: string | null;
  status: BookedRoundTrip['status'] | null;
  replayed: boolean;
  refusal_code: string | null;
  refusal_message: string | null;
  refusal_detail: string | null;
  outbound_origin: string | null; outbound_destination: string | null;
  outbound_departure_time: string | null; outbound_arrival_time: string | null;
  inbound_origin: string | null; inbound_destination: string | null;
  inbound_departure_time: string | null; inbound_arrival_time: string | null;
};

const routesOf = (r: OutcomeRow): BookedRoundTrip['routes'] => ({
  outbound: {
    origin: r.outbound_origin!, destination: r.outbound_destination!,
    departureTime: r.outbound_departure_time!, arrivalTime: r.outbound_arrival_time!,
  },
  inbound: {
    origin: r.inbound_origin!, destination: r.inbound_destination!,
    departureTime: r.inbound_departure_time!, arrivalTime: r.inbound_arrival_time!,
  },
});

/** One outcome per request, in request order. Throws only when the batch as a whole failed. */
export async function bookRoundTrips(db: Db, requests: readonly BatchRequest[]): Promise<BatchOutcome[]> {
  // The legs' routes and times come from the same statement: no second round trip per booking. They are
  // read from the statement's snapshot (the bookings it makes are not in it, their flights are).
  const batch = JSON.stringify(requests.map(requestJson));
  const { rows } = await db.execute<OutcomeRow>(sql`
    select r.ordinal, r.booking_id, r.status, r.replayed, r.refusal_code, r.refusal_message, r.refusal_detail,
           o.origin as outbound_origin, o.destination as outbound_destination,
           o.departure_local as outbound_departure_time, o.arrival_local as outbound_arrival_time,
           i.origin as inbound_origin, i.destination as inbound_destination,
           i.departure_local as inbound_departure_time, i.arrival_local as inbound_arrival_time
      from book_round_trips(${batch}::jsonb) r
      join jsonb_array_elements(${batch}::jsonb) with ordinality as q(request, ordinal) on q.ordinal = r.ordinal
      left join flight_schedule o
        on o.flight_number = q.request->>'outbound_flight_number' and o.flight_date = (q.request->>'outbound_date')::date
      left join flight_schedule i
        on i.flight_number = q.request->>'inbound_flight_number' and i.flight_date = (q.request->>'inbound_date')::date`);
  const outcomes: BatchOutcome[] = new Array(requests.length);
  for (const row of rows) {
    outcomes[row.ordinal - 1] = row.booking_id && row.status
      ? { replayed: row.replayed, booked: { bookingId: row.booking_id, status: row.status, routes: routesOf(row) } }
      : {
        replayed: row.replayed,
        refused: { code: row.refusal_code!, message: row.refusal_message!, detail: row.refusal_detail ?? undefined },
      };
  }
  if (rows.length !== requests.length) throw new Error(`book_round_trips answered ${rows.length} of ${requests.length} requests`);
  return outcomes;
}
