/**
 * Calls book_round_trip_idempotent() (sql/book_round_trip_idempotent.sql): the key, its outcome and the
 * booking are written in one statement. The outcome is either the booking or the booking rules' refusal
 * (the SQLSTATE, message and detail that book_round_trip raised), first-hand or replayed.
 */
import { sql } from 'drizzle-orm';
import { type BookedRoundTrip, type RoundTrip, roundTripArguments } from './bookRoundTrip.ts';
import type { Db } from './client.ts';

export interface Refusal {
  code: string;
  message: string;
  detail: string | undefined;
}

export type IdempotentOutcome = { replayed: boolean } & ({ booked: BookedRoundTrip } | { refused: Refusal });

export async function bookRoundTripIdempotent(
  db: Db, trip: RoundTrip, key: { idempotencyKey: string; requestFingerprint: string },
): Promise<IdempotentOutcome> {
  const { rows } = await db.execute<{
    booking_id: string | null; status: 'confirmed' | null; replayed: boolean;
    refusal_code: string | null; refusal_message: string | null; refusal_detail: string | null;
  }>(sql`
    select booking_id, status, replayed, refusal_code, refusal_message, refusal_detail
      from book_round_trip_idempotent(
        idempotency_key => ${key.idempotencyKey},
        request_fingerprint => ${key.requestFingerprint},
        ${roundTripArguments(trip)})`);
  const row = rows[0];
  if (!row) throw new Error('book_round_trip_idempotent returned no row');
  if (row.booking_id && row.status) {
    return { replayed: row.replayed, booked: { bookingId: row.booking_id, status: row.status } };
  }
  return {
    replayed: row.replayed,
    refused: { code: row.refusal_code!, message: row.refusal_message!, detail: row.refusal_detail ?? undefined },
  };
}
