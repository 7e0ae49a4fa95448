/** POST /api/flight/booking. The validator has already checked the body against BookingRequest. */
import { Router } from 'express';
import { checkRoundTrip } from '../bookingRules.ts';
import { bookRoundTrip } from '../db/bookRoundTrip.ts';
import type { Db } from '../db/client.ts';
import { rethrowFromDatabase, validationError } from './errors.ts';
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

  return router;
}
