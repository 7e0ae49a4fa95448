/**
 * Booking outcomes for the socket that asked (REST header `X-Socket-Id`). The socket may be connected to
 * any instance, so the outcome goes through PostgreSQL: NOTIFY booking_results, and the instance holding
 * that socket emits it (see gateway.ts). No broker, and nothing to do when the socket is gone.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { ApiError } from '../http/errors.ts';
import type { BookingConfirmation, HoldCreated } from '../http/schemas.ts';
import type { BookingConfirmed, BookingFailed, BookingResult } from '../realtime/events.ts';
import { BOOKING_RESULTS_CHANNEL } from '../realtime/listener.ts';

export const SOCKET_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

/** From the 201 body: a party's legs carry their `seats` lists too. */
export function confirmedResult(socketId: string, confirmation: BookingConfirmation): BookingResult {
  const leg = ({ flightNumber, seat, seats }: BookingConfirmation['outbound']) => ({ flightNumber, seat, ...(seats ? { seats } : {}) });
  const payload: BookingConfirmed = {
    bookingId: confirmation.bookingId,
    outbound: leg(confirmation.outbound),
    inbound: leg(confirmation.inbound),
  };
  return { socketId, event: 'booking_confirmed', payload: { ...payload } };
}

/** A hold placed (the 201 body of POST /api/flight/holds). */
export function holdCreatedResult(socketId: string, hold: HoldCreated): BookingResult {
  return { socketId, event: 'hold_created', payload: { ...hold } };
}

export function holdReleasedResult(socketId: string, holdId: string): BookingResult {
  return { socketId, event: 'hold_released', payload: { holdId } };
}

export function failedResult(socketId: string, error: ApiError): BookingResult {
  const payload: BookingFailed = {
    reason: error.body.error,
    message: error.body.message,
    conflictingSeat: error.conflictingSeat ?? null,
    availableSeats: error.body.availableSeats ?? [],
  };
  return { socketId, event: 'booking_failed', payload: { ...payload } };
}

export async function publishBookingResult(db: Db, result: BookingResult): Promise<void> {
  await db.execute(sql`select pg_notify(${BOOKING_RESULTS_CHANNEL}, ${JSON.stringify(result)})`);
}
