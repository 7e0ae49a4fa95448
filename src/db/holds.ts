/**
 * Party bookings and seat holds (sql/holds.sql): each call is one statement of one function, which takes
 * its seats through reserve_seats(), the booking rule shared with book_round_trip().
 */
import { sql } from 'drizzle-orm';
import type { Logger } from '../log.ts';
import type { Db } from './client.ts';
import type { Refusal } from './bookRoundTrips.ts';
import { isoDate, isoUtcTimestamp } from './sqlText.ts';

/** A round trip for 1-4 passengers: seat i of each leg is passenger i's. */
export interface PartyTrip {
  outboundFlightNumber: string;
  outboundIsoDate: string;
  outboundSeats: number[];
  inboundFlightNumber: string;
  inboundIsoDate: string;
  inboundSeats: number[];
  userId: number;
  passengerNames?: (string | null)[];
}

export interface PlacedHold {
  holdId: string;
  expiresAt: string; // ISO 8601 UTC
}

// Arrays go as one parameter each (sql.param): a bare array in drizzle's sql template becomes a list.
const partyArguments = (trip: PartyTrip) => sql`
  outbound_flight_number => ${trip.outboundFlightNumber},
  outbound_date => ${trip.outboundIsoDate}::date,
  outbound_seats => ${sql.param(trip.outboundSeats)}::int[],
  inbound_flight_number => ${trip.inboundFlightNumber},
  inbound_date => ${trip.inboundIsoDate}::date,
  inbound_seats => ${sql.param(trip.inboundSeats)}::int[],
  user_id => ${trip.userId}::int,
  passenger_names => ${sql.param(trip.passengerNames ?? null)}::text[]`;

export async function bookSeats(db: Db, trip: PartyTrip): Promise<{ bookingId: string; status: 'confirmed' }> {
  const { rows } = await db.execute<{ booking_id: string }>(sql`select booking_id from book_seats(${partyArguments(trip)})`);
  return { bookingId: rows[0]!.booking_id, status: 'confirmed' };
}

export async function holdSeats(db: Db, trip: PartyTrip, holdSeconds: number): Promise<PlacedHold> {
  const { rows } = await db.execute<{ hold_id: string; expires_at: string }>(sql`
    select hold_id, ${isoUtcTimestamp(sql`expires_at`)} as expires_at
      from hold_seats(${partyArguments(trip)}, hold_seconds => ${holdSeconds}::int)`);
  return { holdId: rows[0]!.hold_id, expiresAt: rows[0]!.expires_at };
}

/** Under an Idempotency-Key: the outcome is a booking (holdSeconds undefined), a hold, or a refusal. */
export type ReservedOutcome = { replayed: boolean } & (
  | { booked: { bookingId: string; status: 'confirmed' } }
  | { held: PlacedHold }
  | { refused: Refusal });

export async function reserveSeatsIdempotent(
  db: Db, trip: PartyTrip, holdSeconds: number | undefined, key: { idempotencyKey: string; requestFingerprint: string },
): Promise<ReservedOutcome> {
  const { rows } = await db.execute<{
    booking_id: string | null; hold_id: string | null; expires_at: string | null; replayed: boolean;
    refusal_code: string | null; refusal_message: string | null; refusal_detail: string | null;
  }>(sql`
    select booking_id, hold_id, ${isoUtcTimestamp(sql`expires_at`)} as expires_at, replayed,
           refusal_code, refusal_message, refusal_detail
      from reserve_seats_idempotent(
        idempotency_key => ${key.idempotencyKey},
        request_fingerprint => ${key.requestFingerprint},
        ${partyArguments(trip)},
        hold_seconds => ${holdSeconds ?? null}::int)`);
  const row = rows[0]!;
  if (row.booking_id) return { replayed: row.replayed, booked: { bookingId: row.booking_id, status: 'confirmed' } };
  if (row.hold_id) return { replayed: row.replayed, held: { holdId: row.hold_id, expiresAt: row.expires_at! } };
  return {
    replayed: row.replayed,
    refused: { code: row.refusal_code!, message: row.refusal_message!, detail: row.refusal_detail ?? undefined },
  };
}

export interface ConfirmedHold {
  bookingId: string;
  status: 'confirmed';
  /** The hold had been confirmed before: this is that booking again. */
  replayed: boolean;
  outbound: { flightNumber: string; isoDate: string; seats: number[] };
  inbound: { flightNumber: string; isoDate: string; seats: number[] };
}

/** `userId` is who asks: another user's hold raises BJ022; null (an admin) acts on any hold. */
export async function confirmHold(db: Db, holdId: string, userId: number | null): Promise<ConfirmedHold> {
  const { rows } = await db.execute<{
    booking_id: string; replayed: boolean; outbound_flight_number: string; outbound_date: string; outbound_seats: number[];
    inbound_flight_number: string; inbound_date: string; inbound_seats: number[];
  }>(sql`
    select booking_id, replayed, outbound_flight_number, ${isoDate(sql`outbound_date`)} as outbound_date, outbound_seats,
           inbound_flight_number, ${isoDate(sql`inbound_date`)} as inbound_date, inbound_seats
      from confirm_hold(${holdId}::uuid, user_id => ${userId}::int)`);
  const row = rows[0]!;
  return {
    bookingId: row.booking_id,
    status: 'confirmed',
    replayed: row.replayed,
    outbound: { flightNumber: row.outbound_flight_number, isoDate: row.outbound_date, seats: row.outbound_seats },
    inbound: { flightNumber: row.inbound_flight_number, isoDate: row.inbound_date, seats: row.inbound_seats },
  };
}

export async function releaseHold(db: Db, holdId: string, userId: number | null): Promise<void> {
  await db.execute(sql`select hold_id from release_hold(${holdId}::uuid, user_id => ${userId}::int)`);
}

export async function expireHolds(db: Db): Promise<number> {
  const { rows } = await db.execute<{ expired: number }>(sql`select expire_holds() as expired`);
  return rows[0]?.expired ?? 0;
}

/** How often each instance runs the sweeper unless told otherwise: expiry shows within about this. */
export const DEFAULT_HOLD_SWEEP_MS = 500;

/**
 * Ends expired holds every `intervalMs`, on every instance. expire_holds() lets one instance sweep at a
 * time (advisory lock), so N instances cost N cheap calls, not N sweeps. A failure (database down) is
 * logged once per outage and retried at the next tick.
 */
export function startHoldSweeper(db: Db, options: { intervalMs: number; logger: Logger; onExpired?: (n: number) => void }) {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failing = false;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = expireHolds(db).then((n) => {
      failing = false;
      if (n > 0) options.onExpired?.(n);
    }, (e: unknown) => {
      if (!failing) options.logger.warn({ err: e }, 'hold sweeper: expire_holds failed; retrying');
      failing = true;
    }).finally(() => {
      if (!stopped) timer = setTimeout(tick, options.intervalMs);
    });
  };
  timer = setTimeout(tick, options.intervalMs);
  return {
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
