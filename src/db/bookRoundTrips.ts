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

export interface BookedRoundTrip {
  bookingId: string;
  status: 'confirmed';
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
};

/** One outcome per request, in request order. Throws only when the batch as a whole failed. */
export async function bookRoundTrips(db: Db, requests: readonly BatchRequest[]): Promise<BatchOutcome[]> {
  const { rows } = await db.execute<OutcomeRow>(sql`
    select ordinal, booking_id, status, replayed, refusal_code, refusal_message, refusal_detail
      from book_round_trips(${JSON.stringify(requests.map(requestJson))}::jsonb)`);
  const outcomes: BatchOutcome[] = new Array(requests.length);
  for (const row of rows) {
    outcomes[row.ordinal - 1] = row.booking_id && row.status
      ? { replayed: row.replayed, booked: { bookingId: row.booking_id, status: row.status } }
      : {
        replayed: row.replayed,
        refused: { code: row.refusal_code!, message: row.refusal_message!, detail: row.refusal_detail ?? undefined },
      };
  }
  if (rows.length !== requests.length) throw new Error(`book_round_trips answered ${rows.length} of ${requests.length} requests`);
  return outcomes;
}
