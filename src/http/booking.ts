/**
 * POST /api/flight/booking (the validator has already checked the body against BookingRequest, and the
 * Idempotency-Key header when there is one) and DELETE /api/flight/booking/{bookingId}.
 */
import { Router } from 'express';
import { bookingResultFor, publishBookingResult } from '../channels/bookingResults.ts';
import type { BatchOutcome, BookedRoundTrip } from '../db/bookRoundTrips.ts';
import type { BookingQueue } from '../db/bookingQueue.ts';
import { cancelBooking } from '../db/cancelBooking.ts';
import type { Db } from '../db/client.ts';
import { findItinerary } from '../db/itineraries.ts';
import type { BookingOutcome } from '../domain/bookingOutcome.ts';
import { checkRoundTrip } from '../domain/bookingRules.ts';
import { callerOf, forbidden, mayActFor } from './access.ts';
import { ApiError, apiErrorFromSqlState, refusedOutcome, rethrowFromDatabase, validationError } from './errors.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, requestFingerprint } from './idempotency.ts';
import { bookingBody, bookingNotFound, legBody } from './itineraries.ts';
import { reportBookingOutcome } from './observability.ts';
import type { BookingConfirmation, BookingRequest } from './schemas.ts';

/** A booking's outcome as HTTP: the booking, or the ApiError its refusal maps to (replays say so in a header). */
function bookedOrThrow(outcome: BatchOutcome) {
  if ('booked' in outcome) return outcome.booked;
  const { code, message, detail } = outcome.refused;
  const error = apiErrorFromSqlState(code, message, detail);
  if (!error) throw new Error(`booking refused with ${code} (${message}), which has no HTTP mapping`);
  if (outcome.replayed) error.headers[IDEMPOTENT_REPLAYED_HEADER] = 'true';
  throw error;
}

/** Every booking goes through `queue` (src/db/bookingQueue.ts), which batches what arrives at once. */
export function bookingRoutes(db: Db, queue: BookingQueue): Router {
  const router = Router();

  router.post('/api/flight/booking', async (req, res) => {
    const request = req.body as BookingRequest;
    // The validator has checked its format (OpenAPI header parameter).
    const socketId = req.get('x-socket-id');
    // The outcome goes to the attempt's log line and metrics, and as a courtesy message to the client's
    // socket: the HTTP answer does not wait for that message, nor fail with it.
    const report = (outcome: BookingOutcome) => {
      reportBookingOutcome(req, outcome);
      const result = socketId ? bookingResultFor(socketId, outcome, userId) : undefined;
      if (result) {
        publishBookingResult(db, result).catch((e: unknown) => req.log.warn({ err: e }, 'booking result not sent to its socket'));
      }
    };

    const caller = callerOf(res);
    // Open contract: userId is required by the schema. With tokens: the caller's own unless given.
    const userId = request.userId ?? (caller.kind === 'user' ? caller.userId : 0);
    if (!mayActFor(caller, userId)) throw forbidden('Customers may only book for themselves: omit userId or give your own');
    const checked = checkRoundTrip(request);
    if (!checked.ok) throw validationError(checked.problems);

    const trip = { ...request, userId, outboundIsoDate: checked.outboundIsoDate, inboundIsoDate: checked.inboundIsoDate };
    const idempotencyKey = req.get(IDEMPOTENCY_KEY_HEADER);
    // The fingerprint is of the request as booked, user included: one user's key never replays another's booking.
    const idempotency = idempotencyKey === undefined
      ? undefined
      : { idempotencyKey, requestFingerprint: requestFingerprint({ ...request, userId }) };
    let booked: BookedRoundTrip;
    let replayed = false;
    try {
      const outcome = await queue.book({ trip, idempotency }).catch(rethrowFromDatabase);
      booked = bookedOrThrow(outcome);
      replayed = outcome.replayed;
      if (replayed) res.set(IDEMPOTENT_REPLAYED_HEADER, 'true');
    } catch (e) {
      if (e instanceof ApiError) report(refusedOutcome(e, e.headers[IDEMPOTENT_REPLAYED_HEADER] === 'true'));
      throw e;
    }
    report({
      kind: 'confirmed',
      bookingId: booked.bookingId,
      outbound: { flightNumber: request.outboundFlightNumber, seat: request.outboundSeat },
      inbound: { flightNumber: request.inboundFlightNumber, seat: request.inboundSeat },
      replayed,
    });

    // The legs with their routes and times, as the booking now stands (one more read, after the commit).
    const itinerary = await findItinerary(db, booked.bookingId).catch(rethrowFromDatabase);
    if (!itinerary) throw bookingNotFound(booked.bookingId); // bookings are never deleted
    const body: BookingConfirmation = {
      bookingId: booked.bookingId,
      status: booked.status,
      outbound: legBody(itinerary.outbound),
      inbound: legBody(itinerary.inbound),
    };
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
