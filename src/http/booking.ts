/**
 * POST /api/flight/booking (the validator has already checked the body against BookingRequest) and
 * DELETE /api/flight/booking/{bookingId}.
 */
import { Router } from 'express';
import { checkRoundTrip } from '../bookingRules.ts';
import { bookRoundTrip } from '../db/bookRoundTrip.ts';
import { cancelBooking } from '../db/cancelBooking.ts';
import type { Db } from '../db/client.ts';
import { findItinerary } from '../db/itineraries.ts';
import { rethrowFromDatabase, validationError } from './errors.ts';
import { bookingBody, bookingNotFound } from './itineraries.ts';
import type { BookingConfirmation, BookingRequest } from './schemas.ts';

export function bookingRoutes(db: Db): Router {
  const router = Router();

  router.post('/api/flight/booking', async (req, res) => {
    const request = req.body as BookingRequest;
    const checked = checkRoundTrip(request);
    if (!checked.ok) throw validationError(checked.problems);

    const booked = await bookRoundTrip(db, {
      ...request,
      outboundIsoDate: checked.outboundIsoDate,
      inboundIsoDate: checked.inboundIsoDate,
    }).catch(rethrowFromDatabase);

    const body: BookingConfirmation = {
      bookingId: booked.bookingId,
      status: booked.status,
      outbound: { flightNumber: request.outboundFlightNumber, date: request.outboundDate, seat: request.outboundSeat },
      inbound: { flightNumber: request.inboundFlightNumber, date: request.inboundDate, seat: request.inboundSeat },
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
