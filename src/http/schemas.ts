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
const Seat = Type.Integer({ minimum: 1, maximum: 8, description: 'Seat number, 1-8', examples: [5] });
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
const SeatList = Type.Array(Type.Integer({ minimum: 1, maximum: 8 }), { description: 'Free seats, ascending', examples: [[1, 2, 6, 7]] });

export const BookingRequest = Type.Object({
  outboundFlightNumber: FlightNumber,
  outboundDate: WireDate,
  outboundSeat: Seat,
  inboundFlightNumber: FlightNumber,
  inboundDate: WireDate,
  inboundSeat: Seat,
  userId: UserId,
}, {
  additionalProperties: false,
  examples: [{
    outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', outboundSeat: 5,
    inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025', inboundSeat: 3, userId: 1,
  }],
});
export type BookingRequest = Static<typeof BookingRequest>;

/** Any visible ASCII, as a header carries it; a UUID per booking attempt is the natural choice. */
export const IdempotencyKey = Type.String({
  minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$',
  description: 'A key of your choosing (1-255 visible ASCII characters) naming one booking attempt. A retry with '
    + 'the same key and the same body replays the first answer (201, 404 or 409) instead of booking again; the '
    + 'same key with another body is a 422. Keys are remembered for 24 hours.',
  examples: ['5f0c8b9e-2d7a-4f4b-9d47-1c2e3a4b5c6d'],
});

const Leg = Type.Object({ flightNumber: FlightNumber, date: WireDate, seat: Seat });

export const BookingConfirmation = Type.Object({
  bookingId: BookingId,
  status: Type.Literal('confirmed'),
  outbound: Leg,
  inbound: Leg,
}, {
  examples: [{
    bookingId: '3b0b8a9e-8a43-4d5e-9b61-1f3f0c2a7c11', status: 'confirmed',
    outbound: { flightNumber: 'BKJT123', date: '07/04/2025', seat: 5 },
    inbound: { flightNumber: 'BKJT234', date: '08/04/2025', seat: 3 },
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

const TotalSeats = Type.Integer({ minimum: 1, description: 'Seats on the aircraft (always 8)', examples: [8] });

const flightExample = { flightNumber: 'BKJT123', date: '07/04/2025', availableSeats: [1, 2, 5, 6, 7], totalSeats: 8 };

export const FlightSummary = Type.Object({
  flightNumber: FlightNumber,
  date: WireDate,
  availableSeats: SeatList,
  totalSeats: TotalSeats,
}, { examples: [flightExample] });
export type FlightSummary = Static<typeof FlightSummary>;

export const FlightPage = Page(FlightSummary, flightExample);
export type FlightPage = Static<typeof FlightPage>;

export const FlightListQuery = Type.Object({
  ...PageQuery,
  flightNumber: Type.Optional(FlightNumber),
  date: Type.Optional(wireDate('Only flights on this day (DD/MM/YYYY)')),
  from: Type.Optional(wireDate('Only flights on or after this day (DD/MM/YYYY)', '01/04/2025')),
  to: Type.Optional(wireDate('Only flights on or before this day (DD/MM/YYYY)', '30/04/2025')),
  hasAvailableSeats: Type.Optional(Type.Boolean({ description: 'true: only flights with a free seat; false: only full flights', examples: [true] })),
}, { additionalProperties: false });
export type FlightListQuery = Static<typeof FlightListQuery>;

export const SeatMapQuery = Type.Object({
  flightNumber: FlightNumber,
  date: WireDate,
}, { additionalProperties: false });
export type SeatMapQuery = Static<typeof SeatMapQuery>;

/** The REST twin of the WebSocket `seats_snapshot`, plus the flight's seat-map version. */
export const SeatMap = Type.Object({
  flightNumber: FlightNumber,
  date: WireDate,
  availableSeats: SeatList,
  totalSeats: TotalSeats,
  timestamp: Type.String({ format: 'date-time', description: 'When the seat map was read, ISO 8601 UTC', examples: ['2025-04-01T10:30:00.000Z'] }),
  version: Type.Integer({
    minimum: 0,
    description: 'The flight\'s seats_version: grows by one with every change of its seat map (the `version` of seats_updated)',
    examples: [12],
  }),
}, {
  examples: [{ ...flightExample, timestamp: '2025-04-01T10:30:00.000Z', version: 12 }],
});
export type SeatMap = Static<typeof SeatMap>;

// ---- Bookings ----------------------------------------------------------------------------------------


const bookingExample = {
  bookingId: '3b0b8a9e-8a43-4d5e-9b61-1f3f0c2a7c11', userId: 1, status: 'confirmed',
  outbound: { flightNumber: 'BKJT123', date: '07/04/2025', seat: 5 },
  inbound: { flightNumber: 'BKJT234', date: '08/04/2025', seat: 3 },
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
