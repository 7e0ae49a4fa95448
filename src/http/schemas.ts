/**
 * The HTTP contract, written once. These TypeBox schemas give the TypeScript types, the OpenAPI
 * document (openapi.ts) and, through express-openapi-validator, the request checks.
 */
import { type Static, Type } from '@sinclair/typebox';

export const FLIGHT_NUMBER_PATTERN = '^[A-Z0-9]{2,10}$';

const FlightNumber = Type.String({ pattern: FLIGHT_NUMBER_PATTERN, description: 'Flight number, capital letters and digits', examples: ['BKJT123'] });
const WireDate = Type.String({ pattern: '^[0-9]{2}/[0-9]{2}/[0-9]{4}$', description: 'Date, DD/MM/YYYY (day first)', examples: ['07/04/2025'] });
const Seat = Type.Integer({ minimum: 1, maximum: 8, description: 'Seat number, 1-8', examples: [5] });
const SeatList = Type.Array(Type.Integer({ minimum: 1, maximum: 8 }), { description: 'Free seats, ascending', examples: [[1, 2, 6, 7]] });

export const BookingRequest = Type.Object({
  outboundFlightNumber: FlightNumber,
  outboundDate: WireDate,
  outboundSeat: Seat,
  inboundFlightNumber: FlightNumber,
  inboundDate: WireDate,
  inboundSeat: Seat,
  userId: Type.Integer({ minimum: 1, maximum: 2147483647, examples: [1] }),
}, {
  additionalProperties: false,
  examples: [{
    outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', outboundSeat: 5,
    inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025', inboundSeat: 3, userId: 1,
  }],
});
export type BookingRequest = Static<typeof BookingRequest>;

const Leg = Type.Object({ flightNumber: FlightNumber, date: WireDate, seat: Seat });

export const BookingConfirmation = Type.Object({
  bookingId: Type.String({ format: 'uuid' }),
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
  details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  availableSeats: Type.Optional(SeatList),
});
export type ErrorBody = Static<typeof ErrorBody>;
