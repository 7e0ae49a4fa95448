/**
 * The OpenAPI 3.1 document, built from the TypeBox schemas. Served at /openapi.json, rendered at /docs,
 * and enforced on every request by express-openapi-validator.
 *
 * The error body is one schema (`Error`); the error responses every operation shares are written once
 * under `components.responses` and referenced, the operation-specific ones carry their own example.
 */
import type { TObject, TSchema } from '@sinclair/typebox';
import { SOCKET_ID_PATTERN } from '../domain/wire.ts';
import {
  Booking, BookingConfirmation, BookingPage, BookingPath, BookingRequest, ErrorBody, FlightBatch, FlightCancellation,
  FlightListQuery, FlightPage, FlightRefBody, FlightSummary, FlightTimesChange, Health, HoldCreated, HoldOwner, HoldPath,
  HoldRequest, IdempotencyKey, ItineraryQuery, LoginRequest, NewFlight, NewFlightBatch, Readiness, RefreshRequest,
  Registered, RegisterRequest, SeatMap, SeatMapQuery, TokenPair, UserPath,
} from './schemas.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from './idempotency.ts';

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

/** JSON round trip drops TypeBox's symbol keys and gives the validator a plain object it may mutate. */
const plain = (schema: object) => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

const jsonResponse = (description: string, schemaName: string) => ({
  description,
  content: { 'application/json': { schema: schemaRef(schemaName) } },
});

const errorResponse = (description: string, example: object) => ({
  description,
  content: { 'application/json': { schema: schemaRef('Error'), example } },
});

/**
 * OpenAPI parameters from a TypeBox object: one per property, with its schema, description and example.
 * Query values may carry reserved characters unencoded, so `date=07/04/2025` works as typed (and
 * `date=07%2F04%2F2025` too).
 */
function parameters(location: 'query' | 'path', object: TObject) {
  return Object.entries(object.properties).map(([name, property]: [string, TSchema]) => ({
    name,
    in: location,
    ...(location === 'query' ? { allowReserved: true } : {}),
    required: location === 'path' || (object.required ?? []).includes(name),
    description: property.description,
    schema: plain(property),
    example: (property.examples as unknown[] | undefined)?.[0],
  }));
}

const retryAfter = { 'Retry-After': { required: true, schema: { type: 'integer' }, description: 'Seconds to wait before retrying' } };

/** Responses shared by operations, referenced from each of them. */
const sharedResponses = {
  ValidationError: errorResponse('Malformed request: `details` names each problem', {
    error: 'validation_error', message: 'The request is invalid: outboundSeat: must be >= 1',
    details: [{ field: 'outboundSeat', message: 'must be >= 1' }],
  }),
  PayloadTooLarge: errorResponse('Body too large (over 16 kB)', {
    error: 'payload_too_large', message: 'The request body is too large',
  }),
  UnsupportedMediaType: errorResponse('Body is not UTF-8 application/json', {
    error: 'unsupported_media_type', message: 'The request body must be UTF-8 application/json',
  }),
  ServiceUnavailable: {
    ...errorResponse('Database unreachable or shedding load; retry after the Retry-After seconds', {
      error: 'service_unavailable', message: 'The booking service is temporarily unavailable, please retry',
    }),
    headers: retryAfter,
  },
  RateLimited: {
    ...errorResponse('Too many requests of this kind from this client this minute (see README, Abuse limits)', {
      error: 'rate_limited', message: 'Too many booking requests from this client: at most 60 a minute',
    }),
    headers: retryAfter,
  },
};

/** With AUTH_MODE=jwt: the bearer scheme (Swagger UI's Authorize button) and its two refusals. */
const identityResponses = {
  Unauthorized: {
    ...errorResponse('No access token where one is needed, or one that is invalid: bad signature, expired, wrong audience', {
      error: 'unauthorized', message: 'The access token has expired',
    }),
    headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: 'Bearer realm="blackjet", error="invalid_token"' } },
  },
  Forbidden: errorResponse('The token is valid but may not act for that user (only admins act for others)', {
    error: 'forbidden', message: 'Customers may only book for themselves',
  }),
};

const flightNotFound = errorResponse('No such flight on that date', {
  error: 'flight_not_found', message: 'Flight BKJT123 on 07/04/2025 not found',
});
const bookingNotFound = errorResponse('No such booking', {
  error: 'booking_not_found', message: 'Booking 3b0b8a9e-8a43-4d5e-9b61-1f3f0c2a7c11 not found',
});
const flightCancelled = errorResponse('The flight is cancelled', {
  error: 'flight_cancelled', message: 'Flight BKJT123 on 07/04/2025 is cancelled',
});
/** A JSON request body of a schema, with its first example. */
const jsonBody = (schemaName: string, example: unknown) => ({
  required: true,
  content: { 'application/json': { schema: schemaRef(schemaName), example } },
});
/** Errors of every operation that takes a JSON body. */
const bodyErrors = {
  400: responseRef('ValidationError'),
  413: responseRef('PayloadTooLarge'),
  415: responseRef('UnsupportedMediaType'),
  503: responseRef('ServiceUnavailable'),
};
const MANAGEMENT = 'Flight management (admin only with AUTH_MODE=jwt; open with AUTH_MODE=none). ';
const userNotFound = errorResponse('No such user', { error: 'user_not_found', message: 'User 42 not found' });
const holdNotFound = errorResponse('No such hold', {
  error: 'hold_not_found', message: 'Hold 9d3c1f7a-2b4e-4c8d-a1f0-6e5b7c8d9e0f not found',
});
const holdForbidden = errorResponse('The hold is another user\'s (userId is not its owner)', {
  error: 'hold_forbidden', message: 'Hold 9d3c1f7a-2b4e-4c8d-a1f0-6e5b7c8d9e0f belongs to another user',
});
const seatUnavailable = errorResponse('A requested seat is taken or held; a party\'s answer lists every such seat in `unavailableSeats`', {
  error: 'seat_unavailable', message: 'Seat 5 on flight BKJT123 (07/04/2025) is no longer available',
  availableSeats: [1, 2, 6, 7],
});
const rateLimited = {
  ...errorResponse('Too many booking and hold requests from this client (RATE_LIMIT_BOOKINGS_PER_MINUTE)', {
    error: 'rate_limited', message: 'Too many booking requests from this client: at most 60 a minute',
  }),
  headers: sharedResponses.ServiceUnavailable.headers,
};
/** The errors a booking and a hold share besides their own 400, 404 and 409. */
const takingSeatsErrors = {
  422: errorResponse('The Idempotency-Key was already used for a different request body', {
    error: 'idempotency_key_reused',
    message: 'Idempotency key 5f0c8b9e-2d7a-4f4b-9d47-1c2e3a4b5c6d was already used for a different request',
  }),
  413: responseRef('PayloadTooLarge'),
  415: responseRef('UnsupportedMediaType'),
  429: rateLimited,
  503: responseRef('ServiceUnavailable'),
};
const idempotencyKeyParameter = {
  name: IDEMPOTENCY_KEY_HEADER, in: 'header', required: false,
  description: IdempotencyKey.description, schema: plain(IdempotencyKey),
};
const socketIdParameter = (events: string) => ({
  name: 'X-Socket-Id', in: 'header', required: false,
  description: `A Socket.IO socket id of the caller: that socket also receives ${events}, on whichever instance it is connected to`,
  schema: { type: 'string', pattern: SOCKET_ID_PATTERN },
});
const confirmation201 = (description: string) => ({
  ...jsonResponse(description, 'BookingConfirmation'),
  headers: {
    Location: { required: true, schema: { type: 'string' }, description: 'The booking: /api/bookings/{bookingId}' },
    [IDEMPOTENT_REPLAYED_HEADER]: { schema: { const: 'true' }, description: 'Present on replays of a stored answer' },
  },
});

/** Errors of every operation that takes its input from the query or path and reaches the database. */
const commonErrors = {
  400: responseRef('ValidationError'),
  429: responseRef('RateLimited'),
  503: responseRef('ServiceUnavailable'),
};

export interface DocumentOptions {
  /** jwt (default): bearer security on the operations that need it, userId optional in a booking. */
  authMode?: 'jwt' | 'none';
}

export function buildOpenApiDocument({ authMode = 'jwt' }: DocumentOptions = {}) {
  const jwt = authMode === 'jwt';
  /** An operation that needs a token: the security requirement and the 401 (and 403 when it applies). */
  const secured = (forbiddenApplies: boolean) => (jwt
    ? {
      security: [{ bearerAuth: [] }],
      responses: { 401: responseRef('Unauthorized'), ...(forbiddenApplies ? { 403: responseRef('Forbidden') } : {}) },
    }
    : { responses: {} });
  /** Public operations still refuse an invalid token (a valid one is not needed). */
  const publicOperation = jwt ? { 401: responseRef('Unauthorized') } : {};
  const bookingRequestSchema = plain(BookingRequest) as { required: string[] };
  if (!jwt) bookingRequestSchema.required = [...bookingRequestSchema.required, 'userId'];
  // Holds name their user the same way: required in the open mode, the caller's own by default with tokens.
  const holdRequestSchema = plain(HoldRequest) as { required: string[] };
  if (!jwt) holdRequestSchema.required = [...holdRequestSchema.required, 'userId'];
  const holdOwner = jwt ? HoldOwner : { ...HoldOwner, required: ['userId'] };
  const holdOwnerSchema = plain(holdOwner);
  const hold = secured(true);
  const book = secured(true);
  const cancel = secured(false);
  const read = secured(false);
  const list = secured(true);
  const manage = secured(true);
  const doc = {
    openapi: '3.1.0',
    info: {
      title: 'BlackJet booking API',
      version: '1.0.0',
      description: 'Round-trip bookings on small jets (8 seats by default). Seat maps change live over Socket.IO (see README). '
        + 'Dates are DD/MM/YYYY. Every error is `{ error, message, ...details }` (schema `Error`).\n\n'
        + 'Live seat maps: the Socket.IO events are described in the [AsyncAPI document](/asyncapi.json); '
        + 'a live seat map page is at [/](/).',
    },
    tags: [
      { name: 'flights', description: 'Flights and their seat maps' },
      { name: 'flight management', description: 'Create flights, change their times, cancel them' },
      { name: 'bookings', description: 'Round trips: book (idempotently), read, list, cancel' },
      { name: 'holds', description: 'Hold seats while the customer pays, then confirm or release' },
      { name: 'operations', description: 'Probes for orchestrators and load balancers' },
    ],
    paths: {
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'Liveness: the process is up and serving (no dependency is checked)',
          tags: ['operations'],
          responses: { 200: jsonResponse('Alive', 'Health') },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readiness',
          summary: 'Readiness: the database answers and the seat-change listener is connected',
          tags: ['operations'],
          responses: {
            200: jsonResponse('Ready to serve', 'Readiness'),
            503: {
              ...errorResponse('Not ready; `checks` says what is down', {
                error: 'service_unavailable', message: 'Not ready: the database does not answer',
                checks: { database: 'down', listener: 'connected' },
              }),
              headers: sharedResponses.ServiceUnavailable.headers,
            },
          },
        },
      },
      '/api/flights': {
        get: {
          operationId: 'listFlights',
          tags: ['flights'],
          summary: 'Search flights: route, departure window, free seats, status; a page at a time',
          description: 'Filters combine (and); bounds are inclusive. A date-only bound (`departureFrom=2025-04-07`, or '
            + '`date`, `from`, `to` in DD/MM/YYYY) is about the flight\'s date, its local departure date at the origin; '
            + 'a date-time with offset is an instant. Ordered by departure, then flight number. With `returnFrom` '
            + 'and/or `returnTo` (and `origin`, `destination`), the answer also carries `inbound`: the return '
            + 'candidates from destination to origin in that window, same filters, page and limit.',
          parameters: parameters('query', FlightListQuery),
          responses: {
            200: jsonResponse('A page of flights (and, for a round trip, of return flights)', 'FlightPage'),
            ...publicOperation,
            ...commonErrors,
          },
        },
        post: {
          operationId: 'createFlight',
          tags: ['flight management'],
          summary: 'Create a flight',
          description: `${MANAGEMENT}The departure must fall on \`date\` in the origin's local time; capacity defaults to 8.`,
          ...(jwt ? { security: manage.security } : {}),
          requestBody: jsonBody('NewFlight', NewFlight.examples[0]),
          responses: {
            201: {
              ...jsonResponse('Created: the flight, with its free seats', 'FlightSummary'),
              headers: { Location: { required: true, schema: { type: 'string' }, description: 'The flight\'s seat map' } },
            },
            409: errorResponse('The flight number already flies that date', {
              error: 'flight_exists', message: 'Flight BJ500 already flies on 02/03/2026',
            }),
            ...manage.responses,
            ...bodyErrors,
          },
        },
      },
      '/api/flights/batch': {
        post: {
          operationId: 'createFlights',
          tags: ['flight management'],
          summary: 'Create up to 50 flights, all or none',
          description: `${MANAGEMENT}A problem with one flight creates none; \`details[].field\` names it (\`flights[1].origin\`).`,
          ...(jwt ? { security: manage.security } : {}),
          requestBody: jsonBody('NewFlightBatch', NewFlightBatch.examples[0]),
          responses: {
            201: jsonResponse('Created: the flights, in the order sent', 'FlightBatch'),
            409: errorResponse('A flight number already flies that date', {
              error: 'flight_exists', message: 'flights[1]: Flight BJ501 already flies on 02/03/2026',
            }),
            ...manage.responses,
            ...bodyErrors,
          },
        },
      },
      '/api/flights/times': {
        patch: {
          operationId: 'changeFlightTimes',
          tags: ['flight management'],
          summary: 'Change a flight\'s departure and arrival',
          description: `${MANAGEMENT}The departure stays on the flight's date (local time at the origin); owners of its `
            + 'bookings get `flight_times_changed` on their sockets.',
          ...(jwt ? { security: manage.security } : {}),
          requestBody: jsonBody('FlightTimesChange', FlightTimesChange.examples[0]),
          responses: {
            200: jsonResponse('The flight with its new times', 'FlightSummary'),
            404: flightNotFound,
            409: flightCancelled,
            ...manage.responses,
            ...bodyErrors,
          },
        },
      },
      '/api/flights/cancellation': {
        post: {
          operationId: 'cancelFlight',
          tags: ['flight management'],
          summary: 'Cancel a flight and every booking that uses it',
          description: `${MANAGEMENT}Each booking on the flight is cancelled whole (both seats freed); every seat of the `
            + 'flight is freed; subscribers of every affected flight get one seats_updated each; each booking\'s owner '
            + 'gets `booking_cancelled` on their sockets. The flight stays, with status cancelled, and can no longer be booked.',
          ...(jwt ? { security: manage.security } : {}),
          requestBody: jsonBody('FlightRef', FlightRefBody.examples[0]),
          responses: {
            200: jsonResponse('Cancelled: the flight and what its cancellation freed', 'FlightCancellation'),
            404: flightNotFound,
            409: errorResponse('The flight was cancelled before', {
              error: 'flight_cancelled', message: 'Flight BKJT123 on 07/04/2025 is cancelled',
            }),
            ...manage.responses,
            ...bodyErrors,
          },
        },
      },
      '/api/flights/seats': {
        get: {
          operationId: 'getSeatMap',
          tags: ['flights'],
          summary: 'One flight\'s seat map now (the REST twin of the WebSocket seats_snapshot)',
          parameters: parameters('query', SeatMapQuery),
          responses: {
            200: jsonResponse('The seat map', 'SeatMap'),
            404: flightNotFound,
            ...publicOperation,
            ...commonErrors,
          },
        },
      },
      '/api/flight/booking': {
        post: {
          operationId: 'bookRoundTrip',
          tags: ['bookings'],
          summary: 'Book a round trip: both seats, or neither',
          ...(jwt ? { security: book.security } : {}),
          description: `${jwt ? 'Needs an access token. `userId` may be omitted (the caller\'s own); a customer '
            + 'giving another user\'s id gets 403, an admin may book for anyone. ' : ''}With an \`${IDEMPOTENCY_KEY_HEADER}\` header, a retry is safe: the first answer (201, or the 404/409 `
            + 'of the booking rules) is stored with the key in the booking\'s transaction and replayed, for 24 hours, to '
            + 'every request with the same key and body, marked by `Idempotent-Replayed: true`. A duplicate sent while '
            + 'the first is still running waits for it and gets its answer. Nothing is stored for 400, 413, 415, 422 '
            + 'or 503: the same key may be used again after those.',
          parameters: [idempotencyKeyParameter, socketIdParameter('booking_confirmed or booking_failed')],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: schemaRef('BookingRequest'),
                examples: {
                  onePassenger: { summary: 'One passenger (the spec\'s request)', value: BookingRequest.examples[0] },
                  party: { summary: 'A party of two: seat lists of the same length, names optional', value: BookingRequest.examples[1] },
                },
              },
            },
          },
          responses: {
            201: confirmation201('Booked (or, with Idempotent-Replayed, the replay of an earlier 201); a party\'s legs also list `seats`'),
            400: responseRef('ValidationError'),
            ...book.responses,
            404: errorResponse('Unknown flight or user', {
              error: 'flight_not_found', message: 'Flight BKJT123 on 07/04/2025 not found',
            }),
            409: seatUnavailable,
            ...takingSeatsErrors,
          },
        },
      },
      '/api/flight/holds': {
        post: {
          operationId: 'holdSeats',
          tags: ['holds'],
          ...(jwt ? { security: hold.security } : {}),
          summary: 'Hold seats on both legs for HOLD_TTL_SECONDS (default 300) while the customer pays',
          description: 'Held seats are unavailable to everyone else (a booking or hold of one is a 409 naming it held) and '
            + 'show in `heldSeats` of seat maps and `seats_updated`. Confirm the hold to book them; release it, or let it '
            + 'expire, to free them (subscribers see them come back within about a second of expiry). With an '
            + `\`${IDEMPOTENCY_KEY_HEADER}\`, a retry replays the first answer, as for bookings.`,
          parameters: [idempotencyKeyParameter, socketIdParameter('hold_created or booking_failed')],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaRef('HoldRequest'), example: HoldRequest.examples[0] } },
          },
          responses: {
            201: {
              ...jsonResponse('Held (or, with Idempotent-Replayed, the replay of an earlier 201)', 'HoldCreated'),
              headers: { [IDEMPOTENT_REPLAYED_HEADER]: { schema: { const: 'true' }, description: 'Present on replays of a stored answer' } },
            },
            400: responseRef('ValidationError'),
            ...hold.responses,
            404: errorResponse('Unknown flight or user', { error: 'user_not_found', message: 'User 42 not found' }),
            409: seatUnavailable,
            ...takingSeatsErrors,
          },
        },
      },
      '/api/flight/holds/{holdId}/confirm': {
        post: {
          operationId: 'confirmHold',
          tags: ['holds'],
          ...(jwt ? { security: hold.security } : {}),
          summary: 'Turn a hold into a booking: the 201 of a direct booking, with `seats` lists',
          description: 'Confirming a hold that was confirmed before answers the same booking again (Idempotent-Replayed: '
            + `true), so a retry is always safe; an \`${IDEMPOTENCY_KEY_HEADER}\` is accepted and adds nothing. `
            + 'An expired or released hold is a 410: its seats are gone.',
          parameters: [...parameters('path', HoldPath), idempotencyKeyParameter, socketIdParameter('booking_confirmed or booking_failed')],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaRef('HoldOwner'), example: HoldOwner.examples[0] } },
          },
          responses: {
            201: confirmation201('Booked from the hold (or, with Idempotent-Replayed, the booking it was confirmed as before)'),
            400: responseRef('ValidationError'),
            // With tokens another user's hold is answered as if it did not exist; 403 is naming another userId.
            ...(jwt ? hold.responses : { 403: holdForbidden }),
            404: holdNotFound,
            410: errorResponse('The hold expired (`hold_expired`) or was released (`hold_released`)', {
              error: 'hold_expired', message: 'Hold 9d3c1f7a-2b4e-4c8d-a1f0-6e5b7c8d9e0f expired at 2025-04-01T10:35:00.000Z',
            }),
            413: responseRef('PayloadTooLarge'),
            415: responseRef('UnsupportedMediaType'),
            429: responseRef('RateLimited'),
            503: responseRef('ServiceUnavailable'),
          },
        },
      },
      '/api/flight/holds/{holdId}': {
        delete: {
          operationId: 'releaseHold',
          tags: ['holds'],
          ...(jwt ? { security: hold.security } : {}),
          summary: 'Release a hold: its seats are free at once (a hold that already ended: 204 too)',
          parameters: [...parameters('path', HoldPath), ...parameters('query', holdOwner), idempotencyKeyParameter,
            socketIdParameter('hold_released or booking_failed')],
          responses: {
            204: { description: 'Released; its seats are free' },
            // With tokens another user's hold is answered as if it did not exist; 403 is naming another userId.
            ...(jwt ? hold.responses : { 403: holdForbidden }),
            404: holdNotFound,
            409: errorResponse('The hold was confirmed: it is a booking now (cancel the booking instead)', {
              error: 'hold_confirmed',
              message: 'Hold 9d3c1f7a-2b4e-4c8d-a1f0-6e5b7c8d9e0f was confirmed as booking 3b0b8a9e-8a43-4d5e-9b61-1f3f0c2a7c11; cancel the booking instead',
            }),
            ...commonErrors,
          },
        },
      },
      '/api/flight/booking/{bookingId}': {
        delete: {
          operationId: 'cancelBooking',
          tags: ['bookings'],
          summary: 'Cancel a booking: both seats are freed at once, the booking stays as cancelled',
          description: 'Subscribers of both flights get one seats_updated each, naming the released seat.'
            + (jwt ? ' Only the booking\'s user or an admin may: anyone else gets 404, as if it did not exist.' : ''),
          ...(jwt ? { security: cancel.security } : {}),
          parameters: parameters('path', BookingPath),
          responses: {
            200: jsonResponse('Cancelled: the booking, with status cancelled and cancelledAt', 'Booking'),
            ...cancel.responses,
            404: bookingNotFound,
            409: errorResponse('The booking was already cancelled', {
              error: 'already_cancelled', message: 'Booking 3b0b8a9e-8a43-4d5e-9b61-1f3f0c2a7c11 is already cancelled',
            }),
            ...commonErrors,
          },
        },
      },
      '/api/bookings/{bookingId}': {
        get: {
          operationId: 'getBooking',
          tags: ['bookings'],
          summary: 'A booking with both legs and its status',
          ...(jwt ? { description: 'Only the booking\'s user or an admin sees it: anyone else gets 404.', security: read.security } : {}),
          parameters: parameters('path', BookingPath),
          responses: {
            200: jsonResponse('The booking', 'Booking'),
            ...read.responses,
            404: bookingNotFound,
            ...commonErrors,
          },
        },
      },
      '/api/users/{userId}/itineraries': {
        get: {
          operationId: 'listUserItineraries',
          tags: ['bookings'],
          summary: 'A user\'s bookings, newest first, cancelled ones included',
          ...(jwt ? { description: 'Only that user or an admin: another user\'s id gets 403.', security: list.security } : {}),
          parameters: [...parameters('path', UserPath), ...parameters('query', ItineraryQuery)],
          responses: {
            200: jsonResponse('A page of the user\'s bookings', 'BookingPage'),
            ...list.responses,
            404: userNotFound,
            ...commonErrors,
          },
        },
      },
    },
    components: {
      schemas: {
        BookingRequest: bookingRequestSchema,
        HoldRequest: holdRequestSchema,
        HoldCreated: plain(HoldCreated),
        HoldOwner: holdOwnerSchema,
        BookingConfirmation: plain(BookingConfirmation),
        Booking: plain(Booking),
        BookingPage: plain(BookingPage),
        FlightPage: plain(FlightPage),
        FlightSummary: plain(FlightSummary),
        FlightBatch: plain(FlightBatch),
        NewFlight: plain(NewFlight),
        NewFlightBatch: plain(NewFlightBatch),
        FlightTimesChange: plain(FlightTimesChange),
        FlightRef: plain(FlightRefBody),
        FlightCancellation: plain(FlightCancellation),
        SeatMap: plain(SeatMap),
        Health: plain(Health),
        Readiness: plain(Readiness),
        Error: plain(ErrorBody),
      },
      responses: { ...sharedResponses, ...(jwt ? identityResponses : {}) },
      ...(jwt ? {
        securitySchemes: {
          bearerAuth: {
            type: 'http', scheme: 'bearer', bearerFormat: 'JWT',
            description: 'An access token from POST /api/auth/login (or from the configured identity provider)',
          },
        },
      } : {}),
    },
  };
  if (jwt) Object.assign(doc.paths, identityPaths());
  if (jwt) doc.tags.push({ name: 'identity', description: 'Accounts and tokens' });
  if (jwt) Object.assign(doc.components.schemas, {
    RegisterRequest: plain(RegisterRequest), Registered: plain(Registered), LoginRequest: plain(LoginRequest),
    RefreshRequest: plain(RefreshRequest), TokenPair: plain(TokenPair),
  });
  return doc;
}

const tooManyAttempts = {
  ...errorResponse('Too many attempts from this client (RATE_LIMIT_LOGINS_PER_IP) or, for login, failed logins for '
    + 'this email (RATE_LIMIT_LOGINS_PER_ACCOUNT)', { error: 'rate_limited', message: 'Too many failed logins for this account: at most 10 in 15 minutes' }),
  headers: sharedResponses.ServiceUnavailable.headers,
};

const invalidRefreshToken = errorResponse('Unknown, expired or revoked refresh token, or one used before (which revokes '
  + 'every token of that login: log in again)', {
  error: 'invalid_refresh_token', message: 'The refresh token was already used: the session is revoked, log in again',
});

function identityPaths() {
  return {
    '/api/auth/register': {
      post: {
        operationId: 'register', tags: ['identity'], summary: 'Create a customer account',
        requestBody: jsonBody('RegisterRequest', RegisterRequest.examples[0]),
        responses: {
          201: jsonResponse('Registered: log in next', 'Registered'),
          409: errorResponse('The email has an account (whatever its case)', { error: 'email_in_use', message: 'Email ada@example.com is already registered' }),
          429: tooManyAttempts,
          ...bodyErrors,
        },
      },
    },
    '/api/auth/login': {
      post: {
        operationId: 'login', tags: ['identity'],
        summary: 'Trade an email and password for an access token (15 minutes) and a refresh token (7 days)',
        requestBody: jsonBody('LoginRequest', { email: 'user1@blackjet.example', password: 'the demo password printed by npm start' }),
        responses: {
          200: jsonResponse('Logged in', 'TokenPair'),
          401: errorResponse('Wrong email or password (the same answer for both)', { error: 'invalid_credentials', message: 'Wrong email or password' }),
          429: tooManyAttempts,
          ...bodyErrors,
        },
      },
    },
    '/api/auth/refresh': {
      post: {
        operationId: 'refresh', tags: ['identity'],
        summary: 'A new access token and a new refresh token for a refresh token, which is then used up',
        requestBody: jsonBody('RefreshRequest', RefreshRequest.examples?.[0] ?? { refreshToken: 'G0Yk1lI7bX8mV1pQ2z9C3r5sT6uW8yA0bD2eF4gH6jK' }),
        responses: { 200: jsonResponse('Rotated', 'TokenPair'), 401: invalidRefreshToken, ...bodyErrors },
      },
    },
    '/api/auth/logout': {
      post: {
        operationId: 'logout', tags: ['identity'],
        summary: 'End the login the refresh token belongs to (every refresh token of it); access tokens run out by themselves',
        requestBody: jsonBody('RefreshRequest', { refreshToken: 'G0Yk1lI7bX8mV1pQ2z9C3r5sT6uW8yA0bD2eF4gH6jK' }),
        responses: { 204: { description: 'Logged out (also for a token that was not valid: nothing to end)' }, ...bodyErrors },
      },
    },
  };
}
