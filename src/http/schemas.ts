/**
 * The HTTP contract, written once. These TypeBox schemas give the TypeScript types, the OpenAPI
 * document (openapi.ts) and, through express-openapi-validator, the request checks.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { FLIGHT_NUMBER_PATTERN, WIRE_DATE_PATTERN } from '../domain/wire.ts';

const FlightNumber = Type.String({ pattern: FLIGHT_NUMBER_PATTERN, description: 'Flight number, capital letters and digits', examples: ['BKJT123'] });
const wireDate = (description: string, example = '07/04/2025') =>
  Type.String({ pattern: WIRE_DATE_PATTERN, description, examples: [example] });
const WireDate = wireDate('Date, DD/MM/YYYY (day first)');
/** Seats run from 1 to the flight's capacity: 8 on the standard jet, at most 100 (the database checks the flight's own). */
const Seat = Type.Integer({ minimum: 1, maximum: 100, description: 'Seat number, 1 to the flight\'s capacity (8 on the standard jet)', examples: [5] });
/**
 * The pattern narrows `format: uuid`, which also admits a `urn:uuid:` prefix that PostgreSQL's uuid type
 * refuses: the 8-4-4-4-12 hex form only.
 */
export const BookingId = Type.String({
  format: 'uuid',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  description: 'Booking id',
  examples: ['3b0b8a9e-8a43-4d5e-9b61-1f3f0c2a7c11'],
});
export const UserId = Type.Integer({ minimum: 1, maximum: 2147483647, description: 'User id', examples: [1] });
const SeatList = Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), { description: 'Free seats, ascending', examples: [[1, 2, 6, 7]] });
const AirportCode = (description: string, example: string) =>
  Type.String({ pattern: '^[A-Z]{3}$', description: `${description} (IATA code)`, examples: [example] });
/** ISO 8601 with its offset, in the local time of the airport it is about. */
const LocalTime = (description: string, example: string) => Type.String({ format: 'date-time', description, examples: [example] });
const INSTANT_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})$';
const DAY_OR_INSTANT_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?$';
const DepartureBound = (description: string, example: string) =>
  Type.String({ pattern: DAY_OR_INSTANT_PATTERN, description, examples: [example] });
const Instant = (description: string, example: string) => Type.String({ pattern: INSTANT_PATTERN, description, examples: [example] });
const FlightStatus = Type.Union([Type.Literal('scheduled'), Type.Literal('cancelled')], { description: 'scheduled, or cancelled (sold no more)' });
const Fare = Type.Number({ minimum: 0, maximum: 99_999_999.99, multipleOf: 0.01, description: 'Fare per seat, USD', examples: [199] });

/** Where and when a flight goes: on flights, seat maps and booking legs. */
const Route = {
  origin: AirportCode('Departure airport', 'LAX'),
  destination: AirportCode('Arrival airport', 'SFO'),
  departureTime: LocalTime('Departure, ISO 8601 in the origin\'s local time with its offset', '2025-04-07T09:00:00-07:00'),
  arrivalTime: LocalTime('Arrival, ISO 8601 in the destination\'s local time with its offset', '2025-04-07T10:25:00-07:00'),
};
const routeExample = { origin: 'LAX', destination: 'SFO', departureTime: '2025-04-07T09:00:00-07:00', arrivalTime: '2025-04-07T10:25:00-07:00' };
const HeldSeatList = Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), {
  description: 'Seats kept by a hold (POST /api/flight/holds), ascending: not bookable now, not booked either',
  examples: [[3]],
});

/** At most this many passengers in one party booking or hold. */
export const MAX_PARTY = 4;
const seatsOf = (leg: string) => Type.Array(Seat, {
  minItems: 1, maxItems: MAX_PARTY, uniqueItems: true,
  description: `Seats on the ${leg} flight, one per passenger (1-${MAX_PARTY}, all different); as many as the other leg`,
  examples: [[5, 6]],
});
const PassengerNames = Type.Array(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()]), {
  minItems: 1, maxItems: MAX_PARTY,
  description: 'Optional: a name (or null) per passenger, in the order of the seat lists',
  examples: [['Ada Lovelace', 'Grace Hopper']],
});

/**
 * One passenger (`outboundSeat`/`inboundSeat`, the spec's request) or a party of up to four
 * (`outboundSeats`/`inboundSeats`, lists of the same length, and optional `passengerNames`): one form or
 * the other, checked in code (src/domain/bookingRules.ts) so that each mistake is named by its field.
 */
export const BookingRequest = Type.Object({
  outboundFlightNumber: FlightNumber,
  outboundDate: WireDate,
  outboundSeat: Type.Optional(Seat),
  inboundFlightNumber: FlightNumber,
  inboundDate: WireDate,
  inboundSeat: Type.Optional(Seat),
  outboundSeats: Type.Optional(seatsOf('outbound')),
  inboundSeats: Type.Optional(seatsOf('inbound')),
  passengerNames: Type.Optional(PassengerNames),
  // Required with AUTH_MODE=none (the spec's contract; openapi.ts says so). With tokens it may be omitted
  // (the caller's own id) and, when present, must be the caller's unless the caller is an admin.
  userId: Type.Optional(UserId),
}, {
  additionalProperties: false,
  description: 'Either outboundSeat and inboundSeat (one passenger), or outboundSeats and inboundSeats (a party of 1-4), not both',
  examples: [{
    outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', outboundSeat: 5,
    inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025', inboundSeat: 3, userId: 1,
  }, {
    outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', outboundSeats: [5, 6],
    inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025', inboundSeats: [3, 4], userId: 1,
    passengerNames: ['Ada Lovelace', 'Grace Hopper'],
  }],
});
export type BookingRequest = Static<typeof BookingRequest>;

/** POST /api/flight/holds: a party's fields (the seat lists are required). */
export const HoldRequest = Type.Object({
  outboundFlightNumber: FlightNumber,
  outboundDate: WireDate,
  outboundSeats: seatsOf('outbound'),
  inboundFlightNumber: FlightNumber,
  inboundDate: WireDate,
  inboundSeats: seatsOf('inbound'),
  passengerNames: Type.Optional(PassengerNames),
  // As in BookingRequest: required with AUTH_MODE=none (openapi.ts), the caller's own by default with tokens.
  userId: Type.Optional(UserId),
}, {
  additionalProperties: false,
  examples: [{
    outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', outboundSeats: [5],
    inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025', inboundSeats: [3], userId: 1,
  }],
});
export type HoldRequest = Static<typeof HoldRequest>;

export const HoldId = Type.String({
  format: 'uuid',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  description: 'Hold id',
  examples: ['9d3c1f7a-2b4e-4c8d-a1f0-6e5b7c8d9e0f'],
});
export const HoldPath = Type.Object({ holdId: HoldId });

/**
 * Who confirms or releases. AUTH_MODE=none has no other identity: userId is required (openapi.ts) and
 * another user's hold is a 403. With tokens it may be omitted (the caller), and another's hold is a 404.
 */
export const HoldOwner = Type.Object({ userId: Type.Optional(UserId) }, { additionalProperties: false, examples: [{ userId: 1 }] });
export type HoldOwner = Static<typeof HoldOwner>;

const HeldLeg = Type.Object({ flightNumber: FlightNumber, date: WireDate, seats: Type.Array(Seat) });

export const HoldCreated = Type.Object({
  holdId: HoldId,
  expiresAt: Type.String({ format: 'date-time', description: 'When the hold ends unless confirmed, ISO 8601 UTC' }),
  outbound: HeldLeg,
  inbound: HeldLeg,
}, {
  examples: [{
    holdId: '9d3c1f7a-2b4e-4c8d-a1f0-6e5b7c8d9e0f', expiresAt: '2025-04-01T10:35:00.000Z',
    outbound: { flightNumber: 'BKJT123', date: '07/04/2025', seats: [5] },
    inbound: { flightNumber: 'BKJT234', date: '08/04/2025', seats: [3] },
  }],
});
export type HoldCreated = Static<typeof HoldCreated>;

/** Any visible ASCII, as a header carries it; a UUID per booking attempt is the natural choice. */
export const IdempotencyKey = Type.String({
  minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$',
  description: 'A key of your choosing (1-255 visible ASCII characters) naming one booking attempt. A retry with '
    + 'the same key and the same body replays the first answer (201, 404 or 409) instead of booking again; the '
    + 'same key with another body is a 422. Keys are remembered for 24 hours. Use a new one (a fresh UUID) per attempt.',
  // No example on purpose: Swagger UI's "Try it out" would pre-fill it, and every first Execute would
  // replay an old answer (or a 422) instead of booking.
});

const Leg = Type.Object({ flightNumber: FlightNumber, date: WireDate, seat: Seat, ...Route });
/** A leg of a booking confirmation: `seat` is the first passenger's; a party also lists every seat. */
const BookedLeg = Type.Object({
  flightNumber: FlightNumber,
  date: WireDate,
  seat: Seat,
  seats: Type.Optional(Type.Array(Seat, { description: 'A party booking (seat lists in the request): every seat, in passenger order' })),
  ...Route,
});
const legExample = (flightNumber: string, date: string, seat: number, route: object) => ({ flightNumber, date, seat, ...route });
const outboundExample = legExample('BKJT123', '07/04/2025', 5, routeExample);
const inboundExample = legExample('BKJT234', '08/04/2025', 3, {
  origin: 'SFO', destination: 'LAX', departureTime: '2025-04-08T09:00:00-07:00', arrivalTime: '2025-04-08T10:25:00-07:00',
});

export const BookingConfirmation = Type.Object({
  bookingId: BookingId,
  status: Type.Literal('confirmed'),
  outbound: BookedLeg,
  inbound: BookedLeg,
}, {
  examples: [{
    bookingId: '3b0b8a9e-8a43-4d5e-9b61-1f3f0c2a7c11', status: 'confirmed', outbound: outboundExample, inbound: inboundExample,
  }],
});
export type BookingConfirmation = Static<typeof BookingConfirmation>;

/** Every error response has this shape; `details` and `availableSeats` appear where they apply. */
export const ErrorBody = Type.Object({
  error: Type.String({ description: 'Stable machine-readable code', examples: ['validation_error'] }),
  message: Type.String({ description: 'A sentence for people' }),
  details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }), {
    description: 'validation_error: each problem, with the field (or query parameter, path parameter, header) it is about',
  })),
  availableSeats: Type.Optional(SeatList),
  unavailableSeats: Type.Optional(Type.Array(Type.Object({
    leg: Type.Union([Type.Literal('outbound'), Type.Literal('inbound')]),
    flightNumber: FlightNumber,
    date: WireDate,
    seat: Seat,
    held: Type.Boolean({ description: 'true: kept by another customer\'s hold; false: booked' }),
  }), { description: 'seat_unavailable for a party: every requested seat that was not free' })),
  checks: Type.Optional(Type.Record(Type.String(), Type.String(), {
    description: 'readiness (/readyz): the state of each dependency',
  })),
});
export type ErrorBody = Static<typeof ErrorBody>;

// ---- Pagination -------------------------------------------------------------------------------------

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

const PageQuery = {
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1, description: 'Page number, from 1', examples: [1] }),
  limit: Type.Integer({
    minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE,
    description: `Items per page, at most ${MAX_PAGE_SIZE}`, examples: [DEFAULT_PAGE_SIZE],
  }),
};

/** A page of a list: the items, where the page is, and how many items match in all. */
const Page = <T extends TSchema>(item: T, example: object) => Type.Object({
  items: Type.Array(item),
  page: Type.Integer({ minimum: 1, examples: [1] }),
  limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, examples: [DEFAULT_PAGE_SIZE] }),
  total: Type.Integer({ minimum: 0, description: 'Items matching, on all pages', examples: [1] }),
}, { examples: [{ items: [example], page: 1, limit: DEFAULT_PAGE_SIZE, total: 1 }] });

// ---- Flights and seat maps ---------------------------------------------------------------------------

const TotalSeats = Type.Integer({ minimum: 1, maximum: 100, description: 'Seats on the aircraft: 8 on the standard jet, 1-100', examples: [8] });

const flightExample = {
  flightNumber: 'BKJT123', date: '07/04/2025', availableSeats: [1, 2, 5, 6, 7], totalSeats: 8, ...routeExample,
  originTimeZone: 'America/Los_Angeles', destinationTimeZone: 'America/Los_Angeles', fare: 199, status: 'scheduled',
};

/** A flight as searches, seat maps and management answer it. */
const FlightFields = {
  flightNumber: FlightNumber,
  date: WireDate,
  availableSeats: SeatList,
  totalSeats: TotalSeats,
  ...Route,
  originTimeZone: Type.String({ description: 'IANA time zone of the origin', examples: ['America/Los_Angeles'] }),
  destinationTimeZone: Type.String({ description: 'IANA time zone of the destination', examples: ['America/Los_Angeles'] }),
  fare: Fare,
  status: FlightStatus,
};

export const FlightSummary = Type.Object(FlightFields, { examples: [flightExample] });
export type FlightSummary = Static<typeof FlightSummary>;

const returnExample = {
  ...flightExample, flightNumber: 'BKJT234', date: '08/04/2025', availableSeats: [2, 3, 4, 5, 7, 8],
  origin: 'SFO', destination: 'LAX', departureTime: '2025-04-08T09:00:00-07:00', arrivalTime: '2025-04-08T10:25:00-07:00',
};

export const FlightPage = Type.Object({
  items: Type.Array(FlightSummary),
  page: Type.Integer({ minimum: 1, examples: [1] }),
  limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, examples: [DEFAULT_PAGE_SIZE] }),
  total: Type.Integer({ minimum: 0, description: 'Items matching, on all pages', examples: [1] }),
  inbound: Type.Optional(Type.Object({
    items: Type.Array(FlightSummary),
    total: Type.Integer({ minimum: 0, description: 'Return flights matching, on all pages' }),
  }, { description: 'Round-trip search only (returnFrom/returnTo given): the return candidates, destination to origin, same page and limit' })),
}, {
  examples: [
    { items: [flightExample], page: 1, limit: DEFAULT_PAGE_SIZE, total: 1 },
    { items: [flightExample], page: 1, limit: DEFAULT_PAGE_SIZE, total: 1, inbound: { items: [returnExample], total: 1 } },
  ],
});
export type FlightPage = Static<typeof FlightPage>;

export const FlightListQuery = Type.Object({
  ...PageQuery,
  flightNumber: Type.Optional(FlightNumber),
  origin: Type.Optional(AirportCode('Only flights from this airport', 'LAX')),
  destination: Type.Optional(AirportCode('Only flights to this airport', 'SFO')),
  departureFrom: Type.Optional(DepartureBound('Only flights departing on or after this: an ISO 8601 date (the flight\'s local date) or date-time with offset', '2025-04-07')),
  departureTo: Type.Optional(DepartureBound('Only flights departing on or before this: an ISO 8601 date (the flight\'s local date, inclusive) or date-time with offset', '2025-04-14')),
  returnFrom: Type.Optional(DepartureBound('Round trip: return flights (destination to origin) departing on or after this; needs origin and destination', '2025-04-08')),
  returnTo: Type.Optional(DepartureBound('Round trip: return flights departing on or before this; needs origin and destination', '2025-04-15')),
  minFreeSeats: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Only flights with at least this many free seats', examples: [2] })),
  status: Type.Optional(FlightStatus),
  date: Type.Optional(wireDate('Only flights on this day (DD/MM/YYYY)')),
  from: Type.Optional(wireDate('Only flights on or after this day (DD/MM/YYYY)', '01/04/2025')),
  to: Type.Optional(wireDate('Only flights on or before this day (DD/MM/YYYY)', '30/04/2025')),
  hasAvailableSeats: Type.Optional(Type.Boolean({ description: 'true: only flights with a free seat; false: only full flights', examples: [true] })),
}, { additionalProperties: false });
export type FlightListQuery = Static<typeof FlightListQuery>;

// ---- Flight management ------------------------------------------------------------------------------

const newFlightExample = {
  flightNumber: 'BJ500', date: '02/03/2026', origin: 'LAX', destination: 'JFK',
  departureTime: '2026-03-02T08:00:00-08:00', arrivalTime: '2026-03-02T16:30:00-05:00', fare: 640, capacity: 8,
};

export const NewFlight = Type.Object({
  flightNumber: FlightNumber,
  date: wireDate('The flight\'s date: its local departure date at the origin (DD/MM/YYYY)', '02/03/2026'),
  origin: AirportCode('Departure airport', 'LAX'),
  destination: AirportCode('Arrival airport', 'JFK'),
  departureTime: Instant('Departure, ISO 8601 date-time with offset; on `date` in the origin\'s local time', '2026-03-02T08:00:00-08:00'),
  arrivalTime: Instant('Arrival, ISO 8601 date-time with offset; after the departure', '2026-03-02T16:30:00-05:00'),
  fare: Fare,
  capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 8, description: 'Seats, 1-100; default 8 (the standard jet)', examples: [8] })),
}, { additionalProperties: false, examples: [newFlightExample] });
export type NewFlight = Static<typeof NewFlight>;

export const NewFlightBatch = Type.Object({
  flights: Type.Array(NewFlight, { minItems: 1, maxItems: 50, description: 'Created all together, or none' }),
}, {
  additionalProperties: false,
  examples: [{ flights: [newFlightExample, {
    ...newFlightExample, flightNumber: 'BJ501', origin: 'JFK', destination: 'LAX',
    departureTime: '2026-03-02T18:00:00-05:00', arrivalTime: '2026-03-02T21:15:00-08:00',
  }] }],
});
export type NewFlightBatch = Static<typeof NewFlightBatch>;

export const FlightBatch = Type.Object({ items: Type.Array(FlightSummary) });
export type FlightBatch = Static<typeof FlightBatch>;

export const FlightTimesChange = Type.Object({
  flightNumber: FlightNumber,
  date: WireDate,
  departureTime: Instant('New departure, ISO 8601 date-time with offset; stays on the flight\'s date, local time', '2025-04-07T10:30:00-07:00'),
  arrivalTime: Instant('New arrival, ISO 8601 date-time with offset', '2025-04-07T11:55:00-07:00'),
}, {
  additionalProperties: false,
  examples: [{ flightNumber: 'BKJT123', date: '07/04/2025', departureTime: '2025-04-07T10:30:00-07:00', arrivalTime: '2025-04-07T11:55:00-07:00' }],
});
export type FlightTimesChange = Static<typeof FlightTimesChange>;

export const FlightRefBody = Type.Object({ flightNumber: FlightNumber, date: WireDate }, {
  additionalProperties: false, examples: [{ flightNumber: 'BKJT123', date: '07/04/2025' }],
});
export type FlightRefBody = Static<typeof FlightRefBody>;

export const FlightCancellation = Type.Object({
  flight: FlightSummary,
  cancelledBookings: Type.Integer({ minimum: 0, description: 'Bookings cancelled with the flight (each round trip whole)' }),
  releasedSeats: Type.Integer({ minimum: 0, description: 'Seats freed, on this flight and on the other legs of its bookings' }),
}, {
  examples: [{ flight: { ...flightExample, availableSeats: [1, 2, 3, 4, 5, 6, 7, 8], status: 'cancelled' }, cancelledBookings: 1, releasedSeats: 5 }],
});
export type FlightCancellation = Static<typeof FlightCancellation>;

export const SeatMapQuery = Type.Object({
  flightNumber: FlightNumber,
  date: WireDate,
}, { additionalProperties: false });
export type SeatMapQuery = Static<typeof SeatMapQuery>;

/** The REST twin of the WebSocket `seats_snapshot`, plus the flight's seat-map version. */
export const SeatMap = Type.Object({
  ...FlightFields,
  heldSeats: HeldSeatList,
  timestamp: Type.String({ format: 'date-time', description: 'When the seat map was read, ISO 8601 UTC', examples: ['2025-04-01T10:30:00.000Z'] }),
  version: Type.Integer({
    minimum: 0,
    description: 'The flight\'s seats_version: grows by one with every change of its seat map (the `version` of seats_updated)',
    examples: [12],
  }),
}, {
  examples: [{ ...flightExample, heldSeats: [], timestamp: '2025-04-01T10:30:00.000Z', version: 12 }],
});
export type SeatMap = Static<typeof SeatMap>;

// ---- Bookings ----------------------------------------------------------------------------------------


const bookingExample = {
  bookingId: '3b0b8a9e-8a43-4d5e-9b61-1f3f0c2a7c11', userId: 1, status: 'confirmed',
  outbound: outboundExample, inbound: inboundExample,
  createdAt: '2025-04-01T10:30:00.000Z',
};

export const Booking = Type.Object({
  bookingId: BookingId,
  userId: UserId,
  status: Type.Union([Type.Literal('confirmed'), Type.Literal('cancelled')]),
  outbound: Leg,
  inbound: Leg,
  createdAt: Type.String({ format: 'date-time', description: 'ISO 8601 UTC' }),
  cancelledAt: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601 UTC; only on cancelled bookings' })),
}, {
  examples: [bookingExample, { ...bookingExample, status: 'cancelled', cancelledAt: '2025-04-02T08:00:00.000Z' }],
});
export type Booking = Static<typeof Booking>;

export const BookingPage = Page(Booking, bookingExample);
export type BookingPage = Static<typeof BookingPage>;

export const BookingPath = Type.Object({ bookingId: BookingId });
export const UserPath = Type.Object({ userId: UserId });
export const ItineraryQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
export type ItineraryQuery = Static<typeof ItineraryQuery>;

// ---- Health ------------------------------------------------------------------------------------------

export const Health = Type.Object({
  status: Type.Literal('ok'),
}, { examples: [{ status: 'ok' }] });

export const Readiness = Type.Object({
  status: Type.Literal('ready'),
  checks: Type.Object({ database: Type.Literal('up'), listener: Type.Literal('connected') }),
}, { examples: [{ status: 'ready', checks: { database: 'up', listener: 'connected' } }] });
export type Readiness = Static<typeof Readiness>;

// ---- Identity ----------------------------------------------------------------------------------------

const Email = Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 254, description: 'Email address; unique, whatever its case', examples: ['ada@example.com'] });
/** bcrypt reads the first 72 bytes of a password: a longer one would be silently cut. */
const Password = Type.String({ minLength: 10, maxLength: 72, description: 'At least 10 characters (at most 72)', examples: ['correct horse battery'] });
const Name = (example: string) => Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', examples: [example] });
const RefreshToken = Type.String({ minLength: 1, maxLength: 200, description: 'The opaque refresh token of a login', examples: ['G0Yk1lI7bX8mV1pQ2z9C3r5sT6uW8yA0bD2eF4gH6jK'] });

export const RegisterRequest = Type.Object({
  email: Email, password: Password, firstName: Name('Ada'), lastName: Name('Lovelace'),
}, {
  additionalProperties: false,
  examples: [{ email: 'ada@example.com', password: 'correct horse battery', firstName: 'Ada', lastName: 'Lovelace' }],
});
export type RegisterRequest = Static<typeof RegisterRequest>;

export const Registered = Type.Object({ userId: UserId, email: Email }, { examples: [{ userId: 21, email: 'ada@example.com' }] });

export const LoginRequest = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 254, examples: ['user1@blackjet.example'] }),
  password: Type.String({ minLength: 1, maxLength: 200, examples: ['the demo password printed by npm start'] }),
}, { additionalProperties: false });
export type LoginRequest = Static<typeof LoginRequest>;

export const RefreshRequest = Type.Object({ refreshToken: RefreshToken }, { additionalProperties: false });
export type RefreshRequest = Static<typeof RefreshRequest>;

export const TokenPair = Type.Object({
  accessToken: Type.String({ description: 'JWT for `Authorization: Bearer <accessToken>`, valid for expiresIn seconds' }),
  refreshToken: RefreshToken,
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ minimum: 1, description: 'Seconds the access token is valid (900)', examples: [900] }),
}, {
  examples: [{ accessToken: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiY3VzdG9tZXIiLCJzdWIiOiIxIn0.c2lnbmF0dXJl',
    refreshToken: 'G0Yk1lI7bX8mV1pQ2z9C3r5sT6uW8yA0bD2eF4gH6jK', tokenType: 'Bearer', expiresIn: 900 }],
});
export type TokenPair = Static<typeof TokenPair>;
