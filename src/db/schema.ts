/**
 * Tables, in TypeScript. drizzle-kit turns changes here into migrations in drizzle/.
 * The booking rule itself (book_round_trip) and the change notification live in sql/.
 */
import { sql } from 'drizzle-orm';
import {
  bigint, check, date, foreignKey, index, integer, numeric, pgTable, primaryKey, smallint, text, timestamp,
  unique, uuid,
} from 'drizzle-orm/pg-core';
import { FLIGHT_NUMBER_PATTERN } from '../domain/wire.ts';

/** The most seats a flight may have; the 8-seat jet is the default (SPEC). */
export const MAX_CAPACITY = 100;
export const DEFAULT_CAPACITY = 8;

export const users = pgTable('users', {
  id: integer('id').primaryKey(),
  firstName: text('first_name').notNull(),
  lastName: text('last_name').notNull(),
  numberOfPets: smallint('number_of_pets').notNull().default(0),
}, (t) => [
  check('users_number_of_pets_range', sql`${t.numberOfPets} between 0 and 2`),
]);

/** Airports by IATA code. `time_zone` (IANA) is how a flight's times are shown locally. */
export const airports = pgTable('airports', {
  code: text('code').primaryKey(),
  city: text('city').notNull(),
  name: text('name').notNull(),
  timeZone: text('time_zone').notNull(),
}, (t) => [
  check('airports_code_format', sql`${t.code} ~ '^[A-Z]{3}$'`),
]);

/**
 * A flight is a flight number on a date, the local date of its departure at the origin (kept so by a
 * trigger, sql/flights.sql). `seats_version` grows by one with every change of its seat map.
 * The search indexes all end in departure_at, the order of every search: each filter combination of
 * origin, destination and departure range is one index range scan, already sorted.
 */
export const flights = pgTable('flights', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  flightNumber: text('flight_number').notNull(),
  flightDate: date('flight_date', { mode: 'string' }).notNull(),
  totalSeats: smallint('total_seats').notNull().default(DEFAULT_CAPACITY),
  seatsVersion: bigint('seats_version', { mode: 'number' }).notNull().default(0),
  origin: text('origin').notNull().references(() => airports.code),
  destination: text('destination').notNull().references(() => airports.code),
  departureAt: timestamp('departure_at', { withTimezone: true }).notNull(),
  arrivalAt: timestamp('arrival_at', { withTimezone: true }).notNull(),
  fare: numeric('fare', { precision: 10, scale: 2 }).notNull(),
  status: text('status').notNull().default('scheduled'),
}, (t) => [
  unique('flights_number_date_key').on(t.flightNumber, t.flightDate),
  check('flights_flight_number_format', sql`${t.flightNumber} ~ ${sql.raw(`'${FLIGHT_NUMBER_PATTERN}'`)}`),
  check('flights_total_seats_range', sql`${t.totalSeats} between 1 and 100`),
  check('flights_status_known', sql`${t.status} in ('scheduled', 'cancelled')`),
  check('flights_route_differs', sql`${t.origin} <> ${t.destination}`),
  check('flights_arrival_after_departure', sql`${t.arrivalAt} > ${t.departureAt}`),
  check('flights_fare_range', sql`${t.fare} >= 0`),
  index('flights_route_departure_idx').on(t.origin, t.destination, t.departureAt),
  index('flights_origin_departure_idx').on(t.origin, t.departureAt),
  index('flights_destination_departure_idx').on(t.destination, t.departureAt),
  index('flights_departure_idx').on(t.departureAt),
]);

/** A round trip. Never deleted: a cancellation marks it and frees its seats. */
export const bookings = pgTable('bookings', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: integer('user_id').notNull().references(() => users.id),
  status: text('status').notNull().default('confirmed'),
  outboundFlightId: integer('outbound_flight_id').notNull().references(() => flights.id),
  outboundSeat: smallint('outbound_seat').notNull(),
  inboundFlightId: integer('inbound_flight_id').notNull().references(() => flights.id),
  inboundSeat: smallint('inbound_seat').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
}, (t) => [
  check('bookings_status_known', sql`${t.status} in ('confirmed', 'cancelled')`),
  check('bookings_legs_differ', sql`${t.outboundFlightId} <> ${t.inboundFlightId}`),
  check('bookings_seats_range', sql`${t.outboundSeat} between 1 and 100 and ${t.inboundSeat} between 1 and 100`),
  index('bookings_user_id_created_at_idx').on(t.userId, t.createdAt),
]);

/**
 * The seat map: one row per taken seat. The primary key (flight_id, seat_number) is what makes a
 * double booking impossible, whoever writes. `booking_id` is null for seats loaded from seed data.
 */
export const seats = pgTable('seats', {
  flightId: integer('flight_id').notNull().references(() => flights.id),
  seatNumber: smallint('seat_number').notNull(),
  userId: integer('user_id').notNull().references(() => users.id),
  bookingId: uuid('booking_id'),
  bookedAt: timestamp('booked_at', { withTimezone: true }).notNull().defaultNow(),
  /** Set while the seat is held (not yet booked): the hold it belongs to. A seat is booked or held, never both. */
  holdId: uuid('hold_id'),
}, (t) => [
  primaryKey({ name: 'seats_pkey', columns: [t.flightId, t.seatNumber] }),
  foreignKey({ name: 'seats_booking_id_fkey', columns: [t.bookingId], foreignColumns: [bookings.id] }),
  foreignKey({ name: 'seats_hold_id_fkey', columns: [t.holdId], foreignColumns: [seatHolds.id] }),
  check('seats_seat_number_range', sql`${t.seatNumber} between 1 and 100`),
  check('seats_booked_or_held', sql`${t.bookingId} is null or ${t.holdId} is null`),
  index('seats_booking_id_idx').on(t.bookingId),
  // Partial: plain bookings (hold_id null) pay nothing to maintain it.
  index('seats_hold_id_idx').on(t.holdId).where(sql`hold_id is not null`),
]);

/**
 * A hold: seats on both legs of a round trip kept for one user until `expires_at` (sql/holds.sql). While
 * it is active its seats are rows of `seats` with `hold_id` set, so the seats primary key and the seats
 * trigger treat them like booked ones. It ends confirmed (booking_id set, the seats now belong to the
 * booking), released, or expired; its seats go with it. The row stays as history.
 */
export const seatHolds = pgTable('seat_holds', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: integer('user_id').notNull().references(() => users.id),
  outboundFlightId: integer('outbound_flight_id').notNull().references(() => flights.id),
  inboundFlightId: integer('inbound_flight_id').notNull().references(() => flights.id),
  outboundSeats: smallint('outbound_seats').array().notNull(),
  inboundSeats: smallint('inbound_seats').array().notNull(),
  passengerNames: text('passenger_names').array(),
  status: text('status').notNull().default('active'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  endedAt: timestamp('ended_at', { withTimezone: true }),
  bookingId: uuid('booking_id').references(() => bookings.id),
}, (t) => [
  check('seat_holds_status_known', sql`${t.status} in ('active', 'confirmed', 'released', 'expired')`),
  check('seat_holds_confirmed_has_booking', sql`(${t.status} = 'confirmed') = (${t.bookingId} is not null)`),
  check('seat_holds_legs_differ', sql`${t.outboundFlightId} <> ${t.inboundFlightId}`),
  check('seat_holds_party_size', sql`cardinality(${t.outboundSeats}) between 1 and 4 and cardinality(${t.inboundSeats}) = cardinality(${t.outboundSeats})`),
  // The sweeper's query: active holds by expiry.
  index('seat_holds_active_expires_at_idx').on(t.expiresAt).where(sql`status = 'active'`),
  index('seat_holds_user_id_idx').on(t.userId),
]);

/**
 * The passengers of a party booking (more than one passenger, or any passenger named): their seats on
 * both legs and optional names. A booking of one unnamed passenger needs no row here: `bookings` holds
 * its two seats. `bookings.outbound_seat`/`inbound_seat` are passenger 1's.
 */
export const bookingPassengers = pgTable('booking_passengers', {
  bookingId: uuid('booking_id').notNull().references(() => bookings.id),
  passenger: smallint('passenger').notNull(),
  outboundSeat: smallint('outbound_seat').notNull(),
  inboundSeat: smallint('inbound_seat').notNull(),
  name: text('name'),
}, (t) => [
  primaryKey({ name: 'booking_passengers_pkey', columns: [t.bookingId, t.passenger] }),
  check('booking_passengers_passenger_range', sql`${t.passenger} between 1 and 4`),
  check('booking_passengers_name_length', sql`length(${t.name}) between 1 and 100`),
]);

/**
 * Idempotency-Key of POST /api/flight/booking: the key, a fingerprint of the request body, and the outcome
 * the database gave it: the booking, or the booking rules' refusal (SQLSTATE, message, detail), replayed to
 * a retry. book_round_trip_idempotent() (sql/) writes it in the same transaction as the booking, and the
 * primary key decides between concurrent duplicates. Both outcome columns are null only inside that
 * transaction, never once it commits.
 *
 * Keys expire 24 hours after first use: an expired key counts as unused, and keyed bookings purge expired
 * rows as they go (idempotency_keys_expires_at_idx finds them).
 */
export const idempotencyKeys = pgTable('idempotency_keys', {
  key: text('key').primaryKey(),
  requestFingerprint: text('request_fingerprint').notNull(),
  bookingId: uuid('booking_id').references(() => bookings.id),
  /** A hold made under the key (POST /api/flight/holds). */
  holdId: uuid('hold_id').references(() => seatHolds.id),
  refusalCode: text('refusal_code'),
  refusalMessage: text('refusal_message'),
  refusalDetail: text('refusal_detail'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull().default(sql`now() + interval '24 hours'`),
}, (t) => [
  check('idempotency_keys_key_length', sql`length(${t.key}) between 1 and 255`),
  check('idempotency_keys_one_outcome', sql`${t.bookingId} is null or ${t.refusalCode} is null`),
  check('idempotency_keys_hold_or_booking', sql`${t.holdId} is null or (${t.bookingId} is null and ${t.refusalCode} is null)`),
  index('idempotency_keys_expires_at_idx').on(t.expiresAt),
]);
