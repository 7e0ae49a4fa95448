/**
 * POST /api/flight/booking (the validator has already checked the body against BookingRequest, and the
 * Idempotency-Key header when there is one) and DELETE /api/flight/booking/{bookingId}.
 *
 * One passenger (`outboundSeat`/`inboundSeat`) goes through the booking queue (book_round_trips(), which
 * calls book_round_trip() per request) exactly as the spec has it;
 * a party (`outboundSeats`/`inboundSeats`) through book_seats(). Both are the same rule in SQL.
 */
import { type Request, Router } from 'express';
import { type BookingResult, bookingResultFor, publishBookingResult } from '../channels/bookingResults.ts';
import type { BatchOutcome, BookedRoundTrip, LegRoute, Refusal } from '../db/bookRoundTrips.ts';
import type { BookingQueue } from '../db/bookingQueue.ts';
import { cancelBooking } from '../db/cancelBooking.ts';
import type { Db } from '../db/client.ts';
import { bookSeats, type PartyTrip, reserveSeatsIdempotent } from '../db/holds.ts';
import { findItinerary } from '../db/itineraries.ts';
import type { BookingOutcome } from '../domain/bookingOutcome.ts';
import { checkRoundTrip, checkSeatChoice } from '../domain/bookingRules.ts';
import { callerOf, forbidden, mayActFor } from './access.ts';
import { ApiError, apiErrorFromSqlState, refusedOutcome, rethrowFromDatabase, validationError } from './errors.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, requestFingerprint } from './idempotency.ts';
import { bookingBody, bookingNotFound } from './itineraries.ts';
import { reportBookingOutcome } from './observability.ts';
import type { BookingConfirmation, BookingRequest } from './schemas.ts';

/** The ApiError of a refusal, first-hand or stored with an idempotency key; replays say so in a header. */
export function refusalError({ code, message, detail }: Refusal, replayed: boolean): ApiError {
  const error = apiErrorFromSqlState(code, message, detail);
  if (!error) throw new Error(`booking refused with ${code} (${message}), which has no HTTP mapping`);
  if (replayed) error.headers[IDEMPOTENT_REPLAYED_HEADER] = 'true';
  return error;
}

/** A booking's outcome as HTTP: the booking, or the ApiError its refusal maps to. */
function bookedOrThrow(outcome: BatchOutcome) {
  if ('booked' in outcome) return outcome.booked;
  throw refusalError(outcome.refused, outcome.replayed);
}

/**
 * Messages for the socket named in `X-Socket-Id` (validated by the OpenAPI header parameter), sent through
 * PostgreSQL to whichever instance holds it; with tokens only a socket signed in as `userId` gets them. A
 * courtesy: the HTTP answer does not wait for them, nor fail with them.
 */
export function socketReporter(db: Db, req: Request, userId: number | undefined) {
  const socketId = req.get('x-socket-id');
  const send = (result: BookingResult | undefined) => {
    if (!result) return;
    publishBookingResult(db, result).catch((e: unknown) => req.log.warn({ err: e }, 'result not sent to its socket'));
  };
  return {
    send: (make: (socketId: string) => BookingResult | undefined) => { if (socketId) send(make(socketId)); },
    outcome: (outcome: BookingOutcome) => { if (socketId) send(bookingResultFor(socketId, outcome, userId)); },
    /** For a refusal: booking_failed. Errors on our side (5xx) are not reported to the socket. */
    failed: (e: unknown) => {
      if (socketId && e instanceof ApiError) {
        send(bookingResultFor(socketId, refusedOutcome(e, e.headers[IDEMPOTENT_REPLAYED_HEADER] === 'true'), userId));
      }
    },
  };
}

/** A leg of the 201 body: `seat` always (the first passenger's), `seats` when the request listed them. */
/**
 * Both legs of a booking just made, with their routes and local times as the booking now stands (one
 * read after the commit); a party's legs list all its seats, `seat` being passenger 1's.
 */
export async function bookedLegs(db: Db, booked: BookedRoundTrip, legs: { outbound: LegRef; inbound: LegRef }, party: boolean) {
  const routes = booked.routes ?? await readRoutes(db, booked.bookingId);
  const leg = (ref: LegRef, route: LegRoute) =>
    ({ flightNumber: ref.flightNumber, date: ref.date, seat: ref.seats[0]!, ...(party ? { seats: ref.seats } : {}), ...route });
  return { outbound: leg(legs.outbound, routes.outbound), inbound: leg(legs.inbound, routes.inbound) };
}

type LegRef = { flightNumber: string; date: string; seats: number[] };

async function readRoutes(db: Db, bookingId: string): Promise<{ outbound: LegRoute; inbound: LegRoute }> {
  const itinerary = await findItinerary(db, bookingId).catch(rethrowFromDatabase);
  if (!itinerary) throw bookingNotFound(bookingId); // bookings are never deleted
  const route = ({ origin, destination, departureTime, arrivalTime }: LegRoute) => ({ origin, destination, departureTime, arrivalTime });
  return { outbound: route(itinerary.outbound), inbound: route(itinerary.inbound) };
}

/**
 * One passenger's bookings go through `queue` (src/db/bookingQueue.ts), which batches what arrives at
 * once; a party's go straight to book_seats() (the same rule, one call per party).
 */
export function bookingRoutes(db: Db, queue: BookingQueue): Router {
  const router = Router();

  router.post('/api/flight/booking', async (req, res) => {
    const request = req.body as BookingRequest;
    const caller = callerOf(res);
    // Open contract: userId is required by the schema. With tokens: the caller's own unless given.
    const userId = request.userId ?? (caller.kind === 'user' ? caller.userId : 0);
    if (!mayActFor(caller, userId)) throw forbidden('Customers may only book for themselves: omit userId or give your own');
    const checked = checkRoundTrip(request);
    const choice = checkSeatChoice(request);
    if (!checked.ok || !choice.ok) {
      throw validationError([...(checked.ok ? [] : checked.problems), ...(choice.ok ? [] : choice.problems)]);
    }
    // The outcome goes to the attempt's log line and metrics, and as a courtesy message to the client's socket.
    const socket = socketReporter(db, req, userId);
    const report = (outcome: BookingOutcome) => {
      reportBookingOutcome(req, outcome);
      socket.outcome(outcome);
    };

    const dates = { outboundIsoDate: checked.outboundIsoDate, inboundIsoDate: checked.inboundIsoDate };
    const idempotencyKey = req.get(IDEMPOTENCY_KEY_HEADER);
    // The fingerprint is of the request as booked, user included: one user's key never replays another's booking.
    const key = idempotencyKey === undefined
      ? undefined
      : { idempotencyKey, requestFingerprint: requestFingerprint({ ...request, userId }) };
    let booked: BookedRoundTrip;
    let replayed = false;
    try {
      if (!choice.party) {
        const trip = { ...request, userId, ...dates, outboundSeat: choice.outboundSeat, inboundSeat: choice.inboundSeat };
        const outcome = await queue.book({ trip, idempotency: key }).catch(rethrowFromDatabase);
        booked = bookedOrThrow(outcome);
        replayed = outcome.replayed;
      } else {
        const trip: PartyTrip = { ...request, userId, ...dates, ...choice };
        if (!key) {
          booked = await bookSeats(db, trip).catch(rethrowFromDatabase);
        } else {
          const outcome = await reserveSeatsIdempotent(db, trip, undefined, key).catch(rethrowFromDatabase);
          if ('refused' in outcome) throw refusalError(outcome.refused, outcome.replayed);
          if (!('booked' in outcome)) throw new Error('a booking key replayed a hold');
          ({ booked, replayed } = outcome);
        }
      }
    } catch (e) {
      if (e instanceof ApiError) {
        report(refusedOutcome(e, e.headers[IDEMPOTENT_REPLAYED_HEADER] === 'true'));
      }
      throw e;
    }
    if (replayed) res.set(IDEMPOTENT_REPLAYED_HEADER, 'true');

    const [outboundSeats, inboundSeats] = choice.party
      ? [choice.outboundSeats, choice.inboundSeats] : [[choice.outboundSeat], [choice.inboundSeat]];
    const body: BookingConfirmation = {
      bookingId: booked.bookingId,
      status: booked.status,
      ...await bookedLegs(db, booked, {
        outbound: { flightNumber: request.outboundFlightNumber, date: request.outboundDate, seats: outboundSeats },
        inbound: { flightNumber: request.inboundFlightNumber, date: request.inboundDate, seats: inboundSeats },
      }, choice.party),
    };
    report({
      kind: 'confirmed',
      bookingId: booked.bookingId,
      outbound: { flightNumber: body.outbound.flightNumber, seat: body.outbound.seat, ...(choice.party ? { seats: outboundSeats } : {}) },
      inbound: { flightNumber: body.inbound.flightNumber, seat: body.inbound.seat, ...(choice.party ? { seats: inboundSeats } : {}) },
      replayed,
    });
    res.status(201).location(`/api/bookings/${booked.bookingId}`).json(body);
  });

  // Cancellation answers with the booking as it now stands: status 'cancelled', cancelledAt set.
  router.delete('/api/flight/booking/:bookingId', async (req, res) => {
    const { bookingId } = req.params as { bookingId: string };
    const caller = callerOf(res);
    // Someone else's booking is answered as if it did not exist. Owners never change, so the check holds.
    const booking = await findItinerary(db, bookingId).catch(rethrowFromDatabase);
    if (!booking || !mayActFor(caller, booking.userId)) throw bookingNotFound(bookingId);
    await cancelBooking(db, bookingId).catch(rethrowFromDatabase);
    const cancelled = await findItinerary(db, bookingId).catch(rethrowFromDatabase);
    if (!cancelled) throw bookingNotFound(bookingId); // bookings are never deleted; kept for the type's sake
    res.json(bookingBody(cancelled));
  });

  return router;
}
