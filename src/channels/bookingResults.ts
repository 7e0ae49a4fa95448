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
import type { BookingOutcome } from '../domain/bookingOutcome.ts';
import { FLIGHT_NUMBER_PATTERN, WIRE_DATE_PATTERN } from '../domain/wire.ts';

export const BOOKING_RESULTS_CHANNEL = 'booking_results';

const SeatNumber = Type.Integer({ minimum: 1, maximum: 100 });
const SeatRefSchema = Type.Object({
  flightNumber: Type.String({ pattern: FLIGHT_NUMBER_PATTERN }),
  seat: SeatNumber,
});
/** A booked leg: `seats`, a party's seats on the leg in passenger order, when the request listed them. */
const BookedLegSchema = Type.Object({
  flightNumber: Type.String({ pattern: FLIGHT_NUMBER_PATTERN }),
  seat: SeatNumber,
  seats: Type.Optional(Type.Array(SeatNumber, { minItems: 1, maxItems: 4 })),
});
const HeldLegSchema = Type.Object({
  flightNumber: Type.String({ pattern: FLIGHT_NUMBER_PATTERN }),
  date: Type.String({ pattern: WIRE_DATE_PATTERN }),
  seats: Type.Array(SeatNumber, { minItems: 1, maxItems: 4 }),
});

/** server -> one client `booking_confirmed` (a TypeBox schema: the AsyncAPI document is built from it). */
export const BookingConfirmed = Type.Object({
  bookingId: Type.String({ format: 'uuid' }),
  outbound: BookedLegSchema,
  inbound: BookedLegSchema,
});
export type BookingConfirmed = Static<typeof BookingConfirmed>;

/** server -> one client `hold_created`: the 201 body of POST /api/flight/holds. */
export const HoldCreatedEvent = Type.Object({
  holdId: Type.String({ format: 'uuid' }),
  expiresAt: Type.String({ format: 'date-time' }),
  outbound: HeldLegSchema,
  inbound: HeldLegSchema,
});
export type HoldCreatedEvent = Static<typeof HoldCreatedEvent>;

/** server -> one client `hold_released`: DELETE /api/flight/holds/{holdId} freed the hold's seats. */
export const HoldReleasedEvent = Type.Object({ holdId: Type.String({ format: 'uuid' }) });
export type HoldReleasedEvent = Static<typeof HoldReleasedEvent>;

/** server -> one client `booking_failed`. */
export const BookingFailed = Type.Object({
  reason: Type.String(),
  message: Type.String(),
  conflictingSeat: Type.Union([SeatRefSchema, Type.Null()]),
  availableSeats: Type.Array(SeatNumber),
});
export type BookingFailed = Static<typeof BookingFailed>;

/** The `booking_results` NOTIFY payload: routes a booking outcome to the instance holding the socket. */
export const BookingResult = Type.Object({
  socketId: Type.String({ minLength: 1, maxLength: 64 }),
  /** The booking's user: with tokens, only a socket signed in as that user gets the result. */
  userId: Type.Optional(Type.Integer()),
  event: Type.Union([
    Type.Literal('booking_confirmed'), Type.Literal('booking_failed'), Type.Literal('hold_created'), Type.Literal('hold_released'),
  ]),
  payload: Type.Object({}, { additionalProperties: true }),
});
export type BookingResult = Static<typeof BookingResult>;
export const checkBookingResult = TypeCompiler.Compile(BookingResult);

/**
 * The socket message for an outcome; none for a failure on our side (5xx): the client retries over
 * HTTP, and its socket learns nothing it could act on.
 */
export function bookingResultFor(socketId: string, outcome: BookingOutcome, userId?: number): BookingResult | undefined {
  if (outcome.kind === 'confirmed') {
    const payload: BookingConfirmed = { bookingId: outcome.bookingId, outbound: outcome.outbound, inbound: outcome.inbound };
    return { socketId, userId, event: 'booking_confirmed', payload: { ...payload } };
  }
  if (outcome.status >= 500) return undefined;
  const payload: BookingFailed = {
    reason: outcome.error,
    message: outcome.message,
    conflictingSeat: outcome.conflict ? { flightNumber: outcome.conflict.flightNumber, seat: outcome.conflict.seat } : null,
    availableSeats: outcome.availableSeats,
  };
  return { socketId, userId, event: 'booking_failed', payload: { ...payload } };
}

/** A hold placed (the 201 body of POST /api/flight/holds), for the socket of the user who placed it. */
export function holdCreatedResult(socketId: string, hold: HoldCreatedEvent, userId?: number): BookingResult {
  return { socketId, userId, event: 'hold_created', payload: { ...hold } };
}

export function holdReleasedResult(socketId: string, holdId: string, userId?: number): BookingResult {
  const payload: HoldReleasedEvent = { holdId };
  return { socketId, userId, event: 'hold_released', payload: { ...payload } };
}

export async function publishBookingResult(db: Db, result: BookingResult): Promise<void> {
  await db.execute(sql`select pg_notify(${BOOKING_RESULTS_CHANNEL}, ${JSON.stringify(result)})`);
}
