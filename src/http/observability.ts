/**
 * Request ids, request logs and booking-attempt logs and metrics.
 *
 * Every request gets an id: the caller's `X-Request-Id` when it is a sane token, otherwise a new uuid;
 * it is returned in `X-Request-Id` and is on every log line of the request (`req.log`). Each booking
 * attempt gets one log line with its outcome, flights, seats and latency; other requests get pino-http's
 * line. Probes and /metrics are not logged.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../log.ts';
import type { BookingOutcome, HoldOperation, HoldOutcome, Metrics } from '../metrics.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const pathOf = (req: IncomingMessage) => (req.url ?? '').split('?')[0] ?? '';
const isBookingAttempt = (req: IncomingMessage) => req.method === 'POST' && pathOf(req) === '/api/flight/booking';
/** POST /api/flight/holds, POST .../{holdId}/confirm, DELETE .../{holdId}: logged by holdAttempts. */
const isHoldAttempt = (req: IncomingMessage) => (req.method === 'POST' || req.method === 'DELETE')
  && pathOf(req).startsWith('/api/flight/holds');
const isQuiet = (req: IncomingMessage) => /^\/(healthz|readyz|metrics)(\?|$)/.test(req.url ?? '');

export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    autoLogging: { ignore: (req) => isBookingAttempt(req) || isHoldAttempt(req) || isQuiet(req) },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    // Method, path and status only: no headers, query strings, bodies or addresses.
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
  }) as unknown as RequestHandler;
}

export function outcomeOf(status: number, error: string | undefined): BookingOutcome {
  if (status === 201) return 'confirmed';
  if (error === 'seat_unavailable') return 'seat_unavailable';
  if (status === 404) return 'not_found';
  if (status >= 400 && status < 500) return 'invalid';
  return 'error';
}

/** Put in front of POST /api/flight/booking, before validation, so every attempt is counted once. */
export function bookingAttempts(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const error = res.locals.error as string | undefined;
      const outcome = outcomeOf(res.statusCode, error);
      metrics.bookingAttempts.inc({ outcome });
      metrics.bookingDuration.observe({ outcome }, seconds);
      const leg = res.locals.conflictLeg as string | undefined;
      if (outcome === 'seat_unavailable' && leg) metrics.seatConflicts.inc({ leg });
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
          userId: pick('userId'),
          bookingId: res.locals.bookingId,
          replayed: res.getHeader('Idempotent-Replayed') === 'true' || undefined,
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
      const error = res.locals.error as string | undefined;
      const outcome = holdOutcomeOf(operation, res.statusCode, error);
      metrics.holdOperations.inc({ operation, outcome });
      metrics.holdDuration.observe({ operation }, seconds);
      const userId = (req.body as Record<string, unknown> | undefined)?.userId ?? req.query?.userId;
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
