/**
 * Request ids, request logs and booking-attempt logs and metrics.
 *
 * Every request gets an id: the caller's `X-Request-Id` when it is a sane token, otherwise a new uuid;
 * it is returned in `X-Request-Id` and is on every log line of the request (`req.log`). Each booking
 * attempt gets one log line with its outcome, flights, seats and latency; other requests get one line
 * when they finish. Probes and /metrics are not logged.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { BookingOutcome } from '../domain/bookingOutcome.ts';
import type { Logger } from '../log.ts';
import type { BookingOutcomeLabel, HoldOperation, HoldOutcome, Metrics } from '../metrics.ts';

declare module 'http' {
  interface IncomingMessage {
    /** The request id (X-Request-Id). */
    id: string;
    /** The request's logger: every line carries `req: { id, method, path }`. */
    log: Logger;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const pathOf = (req: IncomingMessage) => (req.url ?? '').split('?')[0] ?? '';
const isBookingAttempt = (req: IncomingMessage) => req.method === 'POST' && pathOf(req) === '/api/flight/booking';
/** POST /api/flight/holds, POST .../{holdId}/confirm, DELETE .../{holdId}: logged by holdAttempts. */
const isHoldAttempt = (req: IncomingMessage) => (req.method === 'POST' || req.method === 'DELETE')
  && pathOf(req).startsWith('/api/flight/holds');
const isQuiet = (req: IncomingMessage) => /^\/(healthz|readyz|metrics)(\?|$)/.test(req.url ?? '');

/**
 * Request ids and the per-request logger. The logger is a child of `logger` made on first use, because
 * making one (bindings serialized, redaction applied) on every request cost more than the rest of this
 * middleware: a booking answered without a log line above the level never makes it. Requests other than
 * booking attempts and probes get one line when they finish ('request completed', or 'request errored'
 * for a 5xx), with method, path and status only: no headers, query strings, bodies or addresses.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', id);
    req.id = id;
    const bound = { id, method: req.method, path: (req.url ?? '').split('?')[0] }; // before HEAD becomes GET (app.ts)
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', { configurable: true, enumerable: false, get: () => (child ??= logger.child({ req: bound })) });
    if (!isBookingAttempt(req) && !isHoldAttempt(req) && !isQuiet(req) && logger.isLevelEnabled('info')) {
      const started = Date.now();
      res.once('finish', () => {
        const failed = res.statusCode >= 500;
        req.log[failed ? 'error' : 'info']({ res: { status: res.statusCode }, responseTime: Date.now() - started },
          failed ? 'request errored' : 'request completed');
      });
    }
    next();
  };
}

/**
 * What a request's handlers tell its log line and metrics: the booking route its outcome, the error
 * handler the error code it answered with (for refusals made before the route, such as a 400 from the
 * validator). Kept beside the request, not on it, and gone with it.
 */
interface Notes {
  outcome?: BookingOutcome;
  errorCode?: string;
}
const notes = new WeakMap<IncomingMessage, Notes>();
const notesOf = (req: IncomingMessage) => notes.get(req) ?? notes.set(req, {}).get(req)!;

/** The booking route hands its outcome to the attempt's log line and metrics. */
export function reportBookingOutcome(req: IncomingMessage, outcome: BookingOutcome): void {
  notesOf(req).outcome = outcome;
}

/** The error handler names the error code it answered with. */
export function noteErrorCode(req: IncomingMessage, errorCode: string): void {
  notesOf(req).errorCode = errorCode;
}

export function outcomeOf(status: number, error: string | undefined): BookingOutcomeLabel {
  if (status === 201) return 'confirmed';
  if (error === 'seat_unavailable') return 'seat_unavailable';
  if (status === 404) return 'not_found';
  if (status >= 400 && status < 500) return 'invalid';
  return 'error';
}

/** Put in front of POST /api/flight/booking, before validation, so every attempt is counted once. */
export function bookingAttempts(metrics: Metrics, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const { outcome: reported, errorCode } = notes.get(req) ?? {};
      const error = reported?.kind === 'refused' ? reported.error : errorCode;
      const outcome = outcomeOf(res.statusCode, error);
      metrics.bookingAttempts.inc({ outcome });
      metrics.bookingDuration.observe({ outcome }, seconds);
      const leg = reported?.kind === 'refused' ? reported.conflict?.leg : undefined;
      if (outcome === 'seat_unavailable' && leg) metrics.seatConflicts.inc({ leg });
      if (!logger.isLevelEnabled('info')) return; // the line's object is not even built
      const body = (req.body ?? {}) as Record<string, unknown>;
      const pick = (key: string) => {
        const value = body[key];
        if (typeof value === 'string' || typeof value === 'number') return String(value).slice(0, 32);
        // A party's seat list, as "5,6" (only numbers are kept).
        if (Array.isArray(value)) return value.filter((v) => typeof v === 'number').slice(0, 4).join(',') || undefined;
        return undefined;
      };
      req.log.info({
        booking: {
          outcome,
          status: res.statusCode,
          ...(error && outcome !== 'confirmed' ? { error } : {}),
          ...(leg ? { conflictLeg: leg } : {}),
          outbound: { flightNumber: pick('outboundFlightNumber'), date: pick('outboundDate'), seat: pick('outboundSeat') ?? pick('outboundSeats') },
          inbound: { flightNumber: pick('inboundFlightNumber'), date: pick('inboundDate'), seat: pick('inboundSeat') ?? pick('inboundSeats') },
          // With tokens the body may leave userId out: then it is the caller's (res.locals.caller, access.ts).
          userId: pick('userId') ?? (res.locals.caller as { userId?: number } | undefined)?.userId?.toString(),
          bookingId: reported?.kind === 'confirmed' ? reported.bookingId : undefined,
          replayed: reported?.replayed || undefined,
          latencyMs: Math.round(seconds * 10_000) / 10,
        },
      }, 'booking attempt');
    });
    next();
  };
}

const HOLD_SUCCESS: Record<HoldOperation, HoldOutcome> = { hold: 'held', confirm: 'confirmed', release: 'released' };

export function holdOutcomeOf(operation: HoldOperation, status: number, error: string | undefined): HoldOutcome {
  if (status === 201 || status === 204) return HOLD_SUCCESS[operation];
  if (error === 'seat_unavailable') return 'seat_unavailable';
  if (error === 'hold_expired' || error === 'hold_released') return 'expired';
  if (error === 'hold_forbidden') return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status >= 400 && status < 500) return 'invalid';
  return 'error';
}

/**
 * In front of the hold routes, before validation: one metric and one log line per hold, confirm or
 * release, with its outcome, ids (hold, booking, user) and latency. Ids only, as for bookings.
 */
export function holdAttempts(metrics: Metrics, operation: HoldOperation): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const error = notes.get(req)?.errorCode;
      const outcome = holdOutcomeOf(operation, res.statusCode, error);
      metrics.holdOperations.inc({ operation, outcome });
      metrics.holdDuration.observe({ operation }, seconds);
      // With tokens userId may be left out: then it is the caller's (res.locals.caller, access.ts).
      const userId = (req.body as Record<string, unknown> | undefined)?.userId ?? req.query?.userId
        ?? (res.locals.caller as { userId?: number } | undefined)?.userId;
      req.log.info({
        hold: {
          operation,
          outcome,
          status: res.statusCode,
          ...(error && res.statusCode >= 400 ? { error } : {}),
          holdId: res.locals.holdId,
          bookingId: res.locals.bookingId,
          userId: typeof userId === 'number' || typeof userId === 'string' ? String(userId).slice(0, 32) : undefined,
          replayed: res.getHeader('Idempotent-Replayed') === 'true' || undefined,
          latencyMs: Math.round(seconds * 10_000) / 10,
        },
      }, 'hold attempt');
    });
    next();
  };
}
