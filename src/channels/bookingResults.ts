/**
 * Booking outcomes for the socket that asked (REST header `X-Socket-Id`). The socket may be connected to
 * any instance, so the outcome goes through PostgreSQL: NOTIFY booking_results, and the instance holding
 * that socket emits it (see gateway.ts). No broker, and nothing to do when the socket is gone.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { ApiError } from '../http/errors.ts';
import type { BookingRequest } from '../http/schemas.ts';
import type { BookingConfirmed, BookingFailed, BookingResult } from '../realtime/events.ts';
import { BOOKING_RESULTS_CHANNEL } from '../realtime/listener.ts';

export const SOCKET_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

export function confirmedResult(socketId: string, bookingId: string, request: BookingRequest): BookingResult {
  const payload: BookingConfirmed = {
    bookingId,
    outbound: { flightNumber: request.outboundFlightNumber, seat: request.outboundSeat },
    inbound: { flightNumber: request.inboundFlightNumber, seat: request.inboundSeat },
  };
  return { socketId, event: 'booking_confirmed', payload: { ...payload } };
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
