/**
 * POST /api/flight/booking (the validator has already checked the body against BookingRequest, and the
 * Idempotency-Key header when there is one) and DELETE /api/flight/booking/{bookingId}.
 */
import { Router } from 'express';
import { checkRoundTrip } from '../bookingRules.ts';
import { type BookedRoundTrip, bookRoundTrip, type RoundTrip } from '../db/bookRoundTrip.ts';
import { bookRoundTripIdempotent } from '../db/bookRoundTripIdempotent.ts';
import { cancelBooking } from '../db/cancelBooking.ts';
import type { Db } from '../db/client.ts';
import { findItinerary } from '../db/itineraries.ts';
import { confirmedResult, failedResult, publishBookingResult } from '../realtime/bookingResults.ts';
import type { BookingResult } from '../realtime/events.ts';
import { ApiError, apiErrorFromSqlState, rethrowFromDatabase, validationError } from './errors.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, requestFingerprint } from './idempotency.ts';
import { bookingBody, bookingNotFound, legBody } from './itineraries.ts';
import type { BookingConfirmation, BookingRequest } from './schemas.ts';

/**
 * Books under an idempotency key. A refusal, first-hand or replayed, becomes the same ApiError a plain
 * booking raises; replays say so in a header.
 */
async function bookOnce(db: Db, trip: RoundTrip, request: BookingRequest, idempotencyKey: string) {
  const outcome = await bookRoundTripIdempotent(db, trip, {
    idempotencyKey, requestFingerprint: requestFingerprint(request),
  }).catch(rethrowFromDatabase);
  if ('booked' in outcome) return outcome;
  const { code, message, detail } = outcome.refused;
  const error = apiErrorFromSqlState(code, message, detail);
  if (!error) throw new Error(`stored refusal ${code} has no HTTP mapping`);
  if (outcome.replayed) error.headers[IDEMPOTENT_REPLAYED_HEADER] = 'true';
  throw error;
}

export function bookingRoutes(db: Db): Router {
  const router = Router();

  router.post('/api/flight/booking', async (req, res) => {
    const request = req.body as BookingRequest;
    const checked = checkRoundTrip(request);
    if (!checked.ok) throw validationError(checked.problems);
    // The validator has checked its format (OpenAPI header parameter).
    const socketId = req.get('x-socket-id');
    // A courtesy message to the client's socket: the HTTP answer does not wait for it, nor fail with it.
    const tellSocket = (result: BookingResult) => {
      publishBookingResult(db, result).catch((e: unknown) => req.log.warn({ err: e }, 'booking result not sent to its socket'));
    };

    const trip = { ...request, outboundIsoDate: checked.outboundIsoDate, inboundIsoDate: checked.inboundIsoDate };
    const idempotencyKey = req.get(IDEMPOTENCY_KEY_HEADER);
    let booked: BookedRoundTrip;
    try {
      if (idempotencyKey === undefined) {
        booked = await bookRoundTrip(db, trip).catch(rethrowFromDatabase);
      } else {
        const outcome = await bookOnce(db, trip, request, idempotencyKey);
        if (outcome.replayed) res.set(IDEMPOTENT_REPLAYED_HEADER, 'true');
        booked = outcome.booked;
      }
    } catch (e) {
      if (socketId && e instanceof ApiError && e.status < 500) tellSocket(failedResult(socketId, e));
      throw e;
    }
    if (socketId) tellSocket(confirmedResult(socketId, booked.bookingId, request));
    res.locals.bookingId = booked.bookingId; // for the booking log line

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
    await cancelBooking(db, bookingId).catch(rethrowFromDatabase);
    const cancelled = await findItinerary(db, bookingId).catch(rethrowFromDatabase);
    if (!cancelled) throw bookingNotFound(bookingId); // bookings are never deleted; kept for the type's sake
    res.json(bookingBody(cancelled));
  });

  return router;
}
