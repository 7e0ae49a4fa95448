/**
 * The WebSocket contract and the NOTIFY payloads behind it, as TypeBox schemas: one place for the
 * shapes that cross the wire, checked when they arrive from PostgreSQL or from a client. (The booking
 * results sent to one socket belong to their channel: channels/bookingResults.ts.)
 */
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { FLIGHT_NUMBER_PATTERN, WIRE_DATE_PATTERN } from '../domain/wire.ts';

/** The Socket.IO namespaces; every event works the same on each. */
export const NAMESPACES = ['/', '/flights'] as const;

const SeatNumber = Type.Integer({ minimum: 1, maximum: 100 }); // up to the flight's capacity (8 on the standard jet)
const SeatList = Type.Array(SeatNumber);
const WireDate = Type.String({ pattern: WIRE_DATE_PATTERN });
const FlightNumber = Type.String({ pattern: FLIGHT_NUMBER_PATTERN });

/** client -> server: `subscribe` / `unsubscribe`. */
export const FlightRef = Type.Object({ flightNumber: FlightNumber, date: WireDate });
export type FlightRef = Static<typeof FlightRef>;

/** server -> client `seats_updated`; also exactly the `seats_updated` NOTIFY payload (sql/seat_notifications.sql). */
export const SeatsUpdated = Type.Object({
  flightNumber: FlightNumber,
  date: WireDate,
  availableSeats: SeatList,
  /** Extra to the spec: seats kept by a hold (not available, not booked). */
  heldSeats: SeatList,
  lastBookedSeat: Type.Union([SeatNumber, Type.Null()]),
  /** Extra to the spec: the seat a cancellation or DELETE freed. */
  releasedSeat: Type.Union([SeatNumber, Type.Null()]),
  /** Extra to the spec: the flight's change counter; +1 per committed change. */
  version: Type.Integer({ minimum: 1 }),
  timestamp: Type.String(),
});
export type SeatsUpdated = Static<typeof SeatsUpdated>;

/** server -> client `seats_snapshot`; also the acknowledgement of a `subscribe`. */
export const SeatsSnapshot = Type.Object({
  flightNumber: FlightNumber,
  date: WireDate,
  availableSeats: SeatList,
  /** Extra to the spec: seats kept by a hold (not available, not booked). */
  heldSeats: SeatList,
  totalSeats: Type.Integer({ minimum: 1 }),
  /** Extra to the spec: the flight's change counter as of this snapshot. */
  version: Type.Integer({ minimum: 0 }),
  timestamp: Type.String(),
});
export type SeatsSnapshot = Static<typeof SeatsSnapshot>;

/** server -> client `error`, and the acknowledgement of a failed subscribe. */
export const SocketError = Type.Object({
  error: Type.Union([
    Type.Literal('validation_error'), Type.Literal('flight_not_found'),
    Type.Literal('too_many_subscriptions'), Type.Literal('service_unavailable'),
  ]),
  message: Type.String(),
});
export type SocketError = Static<typeof SocketError>;

/** server -> client: the acknowledgement of an `unsubscribe`. */
export const UnsubscribeAck = Type.Object({ ok: Type.Literal(true) });
export type UnsubscribeAck = Static<typeof UnsubscribeAck>;

/**
 * server -> client `relay_status`: whether this instance is relaying live changes. `live: false` while its
 * LISTEN connection to the database is down (changes still commit, but none are relayed); `live: true` once
 * it is back, after every watched flight got a fresh `seats_snapshot`. Sent to every socket on a change,
 * and to a socket that connects while live updates are paused.
 */
export const RelayStatus = Type.Object({
  live: Type.Boolean(),
  message: Type.String(),
  timestamp: Type.String(),
});
export type RelayStatus = Static<typeof RelayStatus>;

/** server -> client `server_shutdown`, just before the instance disconnects every socket. */
export const ServerShutdown = Type.Object({ reason: Type.String(), reconnect: Type.Boolean() });
export type ServerShutdown = Static<typeof ServerShutdown>;

/**
 * The `user_notifications` NOTIFY payload (sql/flights.sql): an event for one user's sockets, emitted to
 * Socket.IO room `user:<id>` (`booking_cancelled` when a flight cancellation cancelled their booking,
 * `flight_times_changed` when a flight of theirs moved).
 */
export const UserNotification = Type.Object({
  userId: Type.Integer({ minimum: 1 }),
  event: Type.Union([Type.Literal('booking_cancelled'), Type.Literal('flight_times_changed')]),
  payload: Type.Object({}, { additionalProperties: true }),
});
export type UserNotification = Static<typeof UserNotification>;

/** A booking's leg as a notification names it. */
const LegSeat = Type.Object({ flightNumber: FlightNumber, date: WireDate, seat: SeatNumber });
const BookingNotice = {
  bookingId: Type.String({ format: 'uuid' }),
  status: Type.Union([Type.Literal('confirmed'), Type.Literal('cancelled')]),
  outbound: LegSeat,
  inbound: LegSeat,
};

/** server -> client `booking_cancelled`, to the owner's sockets: a flight cancellation cancelled the booking. */
export const BookingCancelled = Type.Object({
  ...BookingNotice,
  reason: Type.Literal('flight_cancelled'),
  cancelledFlight: FlightRef,
});

/** server -> client `flight_times_changed`, to the owner's sockets: a flight of the booking moved. */
export const FlightTimesChanged = Type.Object({
  ...BookingNotice,
  flight: Type.Object({
    flightNumber: FlightNumber,
    date: WireDate,
    departureTime: Type.String({ description: 'ISO 8601, local time at the origin with its offset' }),
    arrivalTime: Type.String({ description: 'ISO 8601, local time at the destination with its offset' }),
  }),
});

/** client -> server `watch_user` (AUTH_MODE=none only): join the room of a user's notifications. */
export const UserRef = Type.Object({ userId: Type.Integer({ minimum: 1, maximum: 2147483647 }) });

export const checkUserNotification = TypeCompiler.Compile(UserNotification);
export const checkUserRef = TypeCompiler.Compile(UserRef);
export const checkFlightRef = TypeCompiler.Compile(FlightRef);
export const checkSeatsUpdated = TypeCompiler.Compile(SeatsUpdated);
