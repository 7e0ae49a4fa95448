/**
 * Every error leaves as `{ error, message, ...details }`. This module turns whatever went wrong into
 * that body: our own ApiErrors, the validator's and body parser's errors, and database errors through
 * the one SQLSTATE table below. Unexpected errors become a generic 500 and are logged, never echoed.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { BookingOutcome } from '../domain/bookingOutcome.ts';
import type { FieldProblem } from '../domain/bookingRules.ts';
import { noteErrorCode } from './observability.ts';
import type { ErrorBody } from './schemas.ts';

type UnavailableSeat = NonNullable<ErrorBody['unavailableSeats']>[number];

export const RETRY_AFTER_SECONDS = 2;

export class ApiError extends Error {
  /** For a seat conflict: the seat that was taken and its leg, for the booking outcome (not part of the body). */
  conflict?: { flightNumber: string; seat: number; leg: 'outbound' | 'inbound' };

  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

export const validationError = (problems: FieldProblem[]) =>
  new ApiError(400, {
    error: 'validation_error',
    message: `The request is invalid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
    details: problems,
  });

export const serviceUnavailable = () =>
  new ApiError(503, {
    error: 'service_unavailable',
    message: 'The booking service is temporarily unavailable, please retry',
  }, { 'Retry-After': String(RETRY_AFTER_SECONDS) });

/**
 * SQLSTATE -> HTTP. One line per code; the BJ codes are raised by the functions in sql/.
 * Codes not listed (and not class 08) are our bug: 500.
 */
export const SQLSTATE_TO_HTTP: Readonly<Record<string, { status: number; error: string }>> = {
  BJ001: { status: 409, error: 'seat_unavailable' }, // book_round_trip: a requested seat is taken
  BJ002: { status: 404, error: 'flight_not_found' }, // book_round_trip: no such flight on that date
  BJ003: { status: 404, error: 'user_not_found' }, // book_round_trip: unknown user
  BJ004: { status: 400, error: 'validation_error' }, // book_round_trip, cancel_booking: a request rule is broken
  BJ005: { status: 404, error: 'booking_not_found' }, // cancel_booking: no such booking
  BJ006: { status: 409, error: 'already_cancelled' }, // cancel_booking: the booking was cancelled before
  BJ007: { status: 422, error: 'idempotency_key_reused' }, // book_round_trip_idempotent: key used for another request
  BJ008: { status: 409, error: 'flight_exists' }, // create_flight(s): the flight number already flies that date
  BJ009: { status: 400, error: 'validation_error' }, // create_flight(s): unknown airport (detail names the field)
  BJ010: { status: 409, error: 'email_in_use' }, // register_account: the email has an account (any case)
  BJ011: { status: 400, error: 'validation_error' }, // register_account: password under 10 characters
  BJ012: { status: 401, error: 'invalid_credentials' }, // login: wrong email or password (one answer for both)
  BJ013: { status: 401, error: 'invalid_refresh_token' }, // refresh_session: unknown, expired or revoked
  BJ014: { status: 401, error: 'invalid_refresh_token' }, // refresh_session: used before: its family is now revoked
  BJ015: { status: 409, error: 'flight_cancelled' }, // booking, holding, changing or cancelling a cancelled flight
  BJ020: { status: 404, error: 'hold_not_found' }, // confirm_hold, release_hold: no such hold
  BJ021: { status: 410, error: 'hold_expired' }, // confirm_hold: the hold's time is up
  BJ022: { status: 403, error: 'hold_forbidden' }, // confirm_hold, release_hold: another user's hold (open mode)
  BJ023: { status: 410, error: 'hold_released' }, // confirm_hold: the hold was released
  BJ024: { status: 409, error: 'hold_confirmed' }, // release_hold: the hold is a booking now
  '40001': { status: 503, error: 'service_unavailable' }, // serialization_failure: safe to retry
  '40P01': { status: 503, error: 'service_unavailable' }, // deadlock_detected: safe to retry
  '53300': { status: 503, error: 'service_unavailable' }, // too_many_connections
  '57014': { status: 503, error: 'service_unavailable' }, // query_canceled: statement_timeout hit
  '57P01': { status: 503, error: 'service_unavailable' }, // admin_shutdown
  '57P02': { status: 503, error: 'service_unavailable' }, // crash_shutdown
  '57P03': { status: 503, error: 'service_unavailable' }, // cannot_connect_now: starting up
};

/** A pg error that the server sent (as opposed to a connection that failed or timed out). */
interface ServerError { code: string; severity: string; message: string; detail?: string }
const isServerError = (e: unknown): e is ServerError =>
  typeof e === 'object' && e !== null && typeof (e as ServerError).severity === 'string'
  && typeof (e as ServerError).code === 'string' && (e as ServerError).code.length === 5;

/** drizzle wraps driver errors; the pg error is on `.cause`. */
export function unwrapDatabaseError(e: unknown): unknown {
  let current = e;
  while (!isServerError(current) && current instanceof Error && current.cause) current = current.cause;
  return current;
}

/**
 * Whole classes, after the single codes: 08 (connection exception) is the database going away; 22 (data
 * exception: a value out of range, invalid text for a type, division by zero...) can only come from a
 * value a client sent that the contract let through, so it is the client's 400, never a 500.
 */
const SQLSTATE_CLASS_TO_HTTP: Readonly<Record<string, { status: number; error: string }>> = {
  '08': { status: 503, error: 'service_unavailable' },
  '22': { status: 400, error: 'validation_error' },
};

export function httpStatusForSqlState(code: string): { status: number; error: string } | undefined {
  return SQLSTATE_TO_HTTP[code] ?? SQLSTATE_CLASS_TO_HTTP[code.slice(0, 2)];
}

/** Maps an error from a database call to an ApiError; undefined for errors that are our own bug. */
export function apiErrorFromDatabase(e: unknown): ApiError | undefined {
  const cause = unwrapDatabaseError(e);
  // No answer from the server at all (refused, reset, timed out): the database is unreachable.
  if (!isServerError(cause)) return serviceUnavailable();
  return apiErrorFromSqlState(cause.code, cause.message, cause.detail);
}

/**
 * The ApiError for what the database said: raised just now, or stored with an idempotency key and
 * replayed. Undefined for codes not in the table.
 */
export function apiErrorFromSqlState(code: string, message: string, rawDetail: string | undefined): ApiError | undefined {
  const mapped = httpStatusForSqlState(code);
  if (!mapped) return undefined;
  if (mapped.status === 503) return serviceUnavailable();
  const detail = parseDetail(rawDetail);
  if (mapped.error === 'seat_unavailable') {
    // A party's refusal lists every seat that was not free (sql: DETAIL.unavailable); one passenger's
    // keeps the spec's body exactly.
    const unavailable = Array.isArray(detail.unavailable) ? { unavailableSeats: detail.unavailable as UnavailableSeat[] } : {};
    const conflict = new ApiError(409, { error: mapped.error, message, availableSeats: detail.availableSeats as number[] ?? [], ...unavailable });
    conflict.conflict = {
      flightNumber: String(detail.flightNumber), seat: Number(detail.seat), leg: detail.leg === 'inbound' ? 'inbound' : 'outbound',
    };
    return conflict;
  }
  if (code.startsWith('22')) {
    // PostgreSQL's text names types and values, not our fields: a fixed sentence instead.
    return validationError([{ field: 'request', message: 'a value is out of range or malformed' }]);
  }
  if (mapped.error === 'validation_error') {
    const field = typeof detail.field === 'string' ? detail.field : 'body';
    return new ApiError(400, { error: mapped.error, message, details: [{ field, message }] });
  }
  // The BJ messages are written for people in sql/ and contain nothing internal.
  return new ApiError(mapped.status, { error: mapped.error, message });
}

/** A booking refused with this error, as the outcome the booking route reports. */
export function refusedOutcome(error: ApiError, replayed: boolean): BookingOutcome {
  return {
    kind: 'refused',
    status: error.status,
    error: error.body.error,
    message: error.body.message,
    ...(error.conflict ? { conflict: error.conflict } : {}),
    availableSeats: error.body.availableSeats ?? [],
    replayed,
  };
}

/** For `.catch()` on a database call: rethrows as the mapped ApiError, or as it is when it is our bug. */
export function rethrowFromDatabase(e: unknown): never {
  throw apiErrorFromDatabase(e) ?? e;
}

function parseDetail(detail: string | undefined): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(detail ?? '{}');
    return typeof parsed === 'object' && parsed !== null ? parsed as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

/** Errors raised by express.json() (body-parser) and express-openapi-validator carry a status. */
interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  headers?: Record<string, string>;
  errors?: { path?: string; message?: string }[];
}

/**
 * The validator reports where a problem is as `/body/outboundSeat`, `/query/limit`, `/params/bookingId` or
 * `/headers/idempotency-key`; the field is what follows. Anything else (a malformed URL) is about the path.
 */
function fieldOf(path: string | undefined): string {
  const match = /^\/?(body|query|params|headers)(?:\/(.*))?$/.exec(path ?? '');
  if (!match) return 'path';
  return match[2]?.replace(/\//g, '.') || (match[1] === 'body' ? 'body' : match[1]!);
}

function apiErrorFromHttpError(e: HttpishError, method: string, path: string): ApiError | undefined {
  const status = e.status ?? e.statusCode;
  if (!status || status < 400 || status >= 500) return undefined;
  // body-parser's JSON.parse failure is a 400 without a list of problems: name the body.
  if (e.type === 'entity.parse.failed') return validationError([{ field: 'body', message: 'malformed JSON' }]);
  switch (status) {
    case 400:
      return validationError(e.errors?.length
        ? e.errors.map((item) => {
          const field = fieldOf(item.path);
          return { field, message: field === 'path' ? 'not a valid percent-encoded URL path' : item.message ?? 'is invalid' };
        })
        : [{ field: 'request', message: 'the request is malformed' }]);
    case 404:
      return routeNotFound(method, path);
    case 405:
      return methodNotAllowedError(method, path, e.headers?.Allow ?? '');
    case 413:
      return new ApiError(413, { error: 'payload_too_large', message: 'The request body is too large' });
    case 415: // the validator (not JSON) or body-parser (a charset or content-encoding it cannot read)
      return new ApiError(415, { error: 'unsupported_media_type', message: 'The request body must be UTF-8 application/json' });
    default:
      return new ApiError(status, { error: 'bad_request', message: 'The request cannot be served' });
  }
}

const routeNotFound = (method: string, path: string) =>
  new ApiError(404, { error: 'not_found', message: `No route for ${method} ${path}` });

/** Every GET also answers HEAD (see app.ts), so an Allow list with GET names HEAD too. */
const withHead = (allow: string) => (/\bGET\b/.test(allow) && !/\bHEAD\b/.test(allow) ? `${allow}, HEAD` : allow);

function methodNotAllowedError(method: string, path: string, allowed: string): ApiError {
  const allow = withHead(allowed);
  return new ApiError(405, { error: 'method_not_allowed', message: `${method} is not allowed on ${path} (allowed: ${allow})` }, { Allow: allow });
}

/** Answers every method of a route that no earlier handler took: 405 with the methods it does serve. */
export const methodNotAllowed = (allow: string): RequestHandler => (req, _res, next) => {
  next(methodNotAllowedError(req.method, req.path, allow));
};

export const notFound: RequestHandler = (req, _res, next) => {
  next(routeNotFound(req.method, req.path));
};

export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  const apiError = err instanceof ApiError ? err : apiErrorFromHttpError(err as HttpishError, req.method, req.path);
  if (!apiError) req.log.error({ err }, 'unexpected error');
  const { status, body, headers } = apiError
    ?? new ApiError(500, { error: 'internal_error', message: 'Something went wrong on our side' });
  noteErrorCode(req, body.error); // for a booking attempt's log line and metrics, when no route reported its outcome
  res.status(status).set(headers).json(body);
};
