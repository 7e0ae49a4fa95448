/**
 * POST /api/flight/booking (the validator has already checked the body against BookingRequest, and the
 * Idempotency-Key header when there is one) and DELETE /api/flight/booking/{bookingId}.
 *
 * One passenger (`outboundSeat`/`inboundSeat`) goes through book_round_trip() exactly as the spec has it;
 * a party (`outboundSeats`/`inboundSeats`) through book_seats(). Both are the same rule in SQL.
 */
import { type Request, Router } from 'express';
import { checkRoundTrip, checkSeatChoice } from '../domain/bookingRules.ts';
import { type BookedRoundTrip, bookRoundTrip } from '../db/bookRoundTrip.ts';
import { bookRoundTripIdempotent, type Refusal } from '../db/bookRoundTripIdempotent.ts';
import { cancelBooking } from '../db/cancelBooking.ts';
import type { Db } from '../db/client.ts';
import { bookSeats, type PartyTrip, reserveSeatsIdempotent } from '../db/holds.ts';
import { findItinerary } from '../db/itineraries.ts';
import { confirmedResult, failedResult, publishBookingResult } from '../channels/bookingResults.ts';
import type { BookingResult } from '../realtime/events.ts';
import { ApiError, apiErrorFromSqlState, rethrowFromDatabase, validationError } from './errors.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, requestFingerprint } from './idempotency.ts';
import { bookingBody, bookingNotFound } from './itineraries.ts';
import type { BookingConfirmation, BookingRequest } from './schemas.ts';

/** The ApiError of a refusal stored with an idempotency key (or given first-hand); replays say so. */
export function refusalError({ code, message, detail }: Refusal, replayed: boolean): ApiError {
  const error = apiErrorFromSqlState(code, message, detail);
  if (!error) throw new Error(`stored refusal ${code} has no HTTP mapping`);
  if (replayed) error.headers[IDEMPOTENT_REPLAYED_HEADER] = 'true';
  return error;
}

/**
 * The outcome of a request for the socket named in `X-Socket-Id` (validated by the OpenAPI header
 * parameter), sent through PostgreSQL to whichever instance holds it. A courtesy: the HTTP answer does
 * not wait for it, nor fail with it.
 */
export function socketReporter(db: Db, req: Request) {
  const socketId = req.get('x-socket-id');
  const send = (result: BookingResult) => {
    publishBookingResult(db, result).catch((e: unknown) => req.log.warn({ err: e }, 'result not sent to its socket'));
  };
  return {
    send: (make: (socketId: string) => BookingResult) => { if (socketId) send(make(socketId)); },
    /** For a refusal: booking_failed. Errors on our side (5xx) are not reported to the socket. */
    failed: (e: unknown) => { if (socketId && e instanceof ApiError && e.status < 500) send(failedResult(socketId, e)); },
  };
}

/** A leg of the 201 body: `seat` always (the first passenger's), `seats` when the request listed them. */
export const bookedLeg = (flightNumber: string, date: string, seats: number[], listed: boolean) =>
  ({ flightNumber, date, seat: seats[0]!, ...(listed ? { seats } : {}) });

export function bookingRoutes(db: Db): Router {
  const router = Router();

  router.post('/api/flight/booking', async (req, res) => {
    const request = req.body as BookingRequest;
    const checked = checkRoundTrip(request);
    const choice = checkSeatChoice(request);
    if (!checked.ok || !choice.ok) {
      throw validationError([...(checked.ok ? [] : checked.problems), ...(choice.ok ? [] : choice.problems)]);
    }
    const socket = socketReporter(db, req);
    const idempotencyKey = req.get(IDEMPOTENCY_KEY_HEADER);
    const key = idempotencyKey === undefined ? undefined : { idempotencyKey, requestFingerprint: requestFingerprint(request) };
    const dates = { outboundIsoDate: checked.outboundIsoDate, inboundIsoDate: checked.inboundIsoDate };

    let booked: BookedRoundTrip;
    let replayed = false;
    try {
      if (!choice.party) {
        const trip = { ...request, ...dates, outboundSeat: choice.outboundSeat, inboundSeat: choice.inboundSeat };
        if (!key) {
          booked = await bookRoundTrip(db, trip).catch(rethrowFromDatabase);
        } else {
          const outcome = await bookRoundTripIdempotent(db, trip, key).catch(rethrowFromDatabase);
          if ('refused' in outcome) throw refusalError(outcome.refused, outcome.replayed);
          ({ booked, replayed } = outcome);
        }
      } else {
        const trip: PartyTrip = { ...request, ...dates, ...choice };
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
      socket.failed(e);
      throw e;
    }
    if (replayed) res.set(IDEMPOTENT_REPLAYED_HEADER, 'true');
    res.locals.bookingId = booked.bookingId; // for the booking log line

    const [outboundSeats, inboundSeats] = choice.party
      ? [choice.outboundSeats, choice.inboundSeats] : [[choice.outboundSeat], [choice.inboundSeat]];
    const body: BookingConfirmation = {
      bookingId: booked.bookingId,
      status: booked.status,
      outbound: bookedLeg(request.outboundFlightNumber, request.outboundDate, outboundSeats, choice.party),
      inbound: bookedLeg(request.inboundFlightNumber, request.inboundDate, inboundSeats, choice.party),
    };
    socket.send((id) => confirmedResult(id, body));
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
