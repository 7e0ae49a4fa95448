/**
 * The OpenAPI 3.1 document, built from the TypeBox schemas. Served at /openapi.json, rendered at /docs,
 * and enforced on every request by express-openapi-validator.
 */
import { SOCKET_ID_PATTERN } from '../realtime/bookingResults.ts';
import { BookingConfirmation, BookingRequest, ErrorBody } from './schemas.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string, example: object) => ({
  description,
  content: { 'application/json': { schema: ref('Error'), example } },
});

/** JSON round trip drops TypeBox's symbol keys and gives the validator a plain object it may mutate. */
const plain = (schema: object) => JSON.parse(JSON.stringify(schema)) as object;

export function buildOpenApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'BlackJet booking API',
      version: '1.0.0',
      description: 'Round-trip bookings on 8-seat jets. Seat maps change live over Socket.IO (see README).',
    },
    paths: {
      '/api/flight/booking': {
        post: {
          operationId: 'bookRoundTrip',
          summary: 'Book a round trip: both seats, or neither',
          parameters: [{
            in: 'header',
            name: 'X-Socket-Id',
            required: false,
            description: 'A Socket.IO socket id of the caller: it also receives booking_confirmed or booking_failed, on whichever instance it is connected to',
            schema: { type: 'string', pattern: SOCKET_ID_PATTERN },
          }],
          requestBody: { required: true, content: { 'application/json': { schema: ref('BookingRequest') } } },
          responses: {
            201: { description: 'Booked', content: { 'application/json': { schema: ref('BookingConfirmation') } } },
            400: errorResponse('Malformed request', {
              error: 'validation_error', message: 'The request is invalid',
              details: [{ field: 'outboundSeat', message: 'must be <= 8' }],
            }),
            404: errorResponse('Unknown flight or user', {
              error: 'flight_not_found', message: 'Flight BKJT123 on 07/04/2025 not found',
            }),
            409: errorResponse('A requested seat is taken', {
              error: 'seat_unavailable', message: 'Seat 5 on flight BKJT123 (07/04/2025) is no longer available',
              availableSeats: [1, 2, 6, 7],
            }),
            413: errorResponse('Body too large', { error: 'payload_too_large', message: 'The request body is larger than 16kb' }),
            415: errorResponse('Body is not JSON', { error: 'unsupported_media_type', message: 'The request body must be application/json' }),
            503: {
              ...errorResponse('Database unreachable; retry after the Retry-After seconds', {
                error: 'service_unavailable', message: 'The booking service is temporarily unavailable',
              }),
              headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before retrying' } },
            },
          },
        },
      },
    },
    components: {
      schemas: {
        BookingRequest: plain(BookingRequest),
        BookingConfirmation: plain(BookingConfirmation),
        Error: plain(ErrorBody),
      },
    },
  };
}
