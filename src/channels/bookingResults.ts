/**
 * Booking outcomes for the socket that asked (REST header `X-Socket-Id`). The socket may be connected to
 * any instance, so the outcome goes through PostgreSQL: NOTIFY booking_results, and the instance holding
 * that socket emits it (realtime/gateway.ts). No broker, and nothing to do when the socket is gone.
 *
 * This module is the channel: its name, its payload and the socket events inside it. It depends on the
 * query layer and the domain only, so the HTTP side publishes and the realtime side listens without
 * either knowing the other.
 */
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { BookingOutcome, SeatRef } from '../domain/bookingOutcome.ts';

export const BOOKING_RESULTS_CHANNEL = 'booking_results';

/** server -> one client `booking_confirmed`. */
export interface BookingConfirmed {
  bookingId: string;
  outbound: SeatRef;
  inbound: SeatRef;
}

/** server -> one client `booking_failed`. */
export interface BookingFailed {
  reason: string;
  message: string;
  conflictingSeat: SeatRef | null;
  availableSeats: number[];
}

/** The `booking_results` NOTIFY payload: routes a booking outcome to the instance holding the socket. */
export const BookingResult = Type.Object({
  socketId: Type.String({ minLength: 1, maxLength: 64 }),
  event: Type.Union([Type.Literal('booking_confirmed'), Type.Literal('booking_failed')]),
  payload: Type.Object({}, { additionalProperties: true }),
});
export type BookingResult = Static<typeof BookingResult>;
export const checkBookingResult = TypeCompiler.Compile(BookingResult);

/**
 * The socket message for an outcome; none for a failure on our side (5xx): the client retries over
 * HTTP, and its socket learns nothing it could act on.
 */
export function bookingResultFor(socketId: string, outcome: BookingOutcome): BookingResult | undefined {
  if (outcome.kind === 'confirmed') {
    const payload: BookingConfirmed = { bookingId: outcome.bookingId, outbound: outcome.outbound, inbound: outcome.inbound };
    return { socketId, event: 'booking_confirmed', payload: { ...payload } };
  }
  if (outcome.status >= 500) return undefined;
  const payload: BookingFailed = {
    reason: outcome.error,
    message: outcome.message,
    conflictingSeat: outcome.conflict ? { flightNumber: outcome.conflict.flightNumber, seat: outcome.conflict.seat } : null,
    availableSeats: outcome.availableSeats,
  };
  return { socketId, event: 'booking_failed', payload: { ...payload } };
}

export async function publishBookingResult(db: Db, result: BookingResult): Promise<void> {
  await db.execute(sql`select pg_notify(${BOOKING_RESULTS_CHANNEL}, ${JSON.stringify(result)})`);
}
