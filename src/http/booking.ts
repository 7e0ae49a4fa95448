/** POST /api/flight/booking. The validator has already checked the body against BookingRequest. */
import { Router } from 'express';
import { checkRoundTrip } from '../bookingRules.ts';
import { bookRoundTrip } from '../db/bookRoundTrip.ts';
import type { Db } from '../db/client.ts';
import { confirmedResult, failedResult, publishBookingResult } from '../realtime/bookingResults.ts';
import type { BookingResult } from '../realtime/events.ts';
import { ApiError, apiErrorFromDatabase, validationError } from './errors.ts';
import type { BookingConfirmation, BookingRequest } from './schemas.ts';

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
      publishBookingResult(db, result).catch((e: unknown) => console.warn(`booking result not sent: ${(e as Error).message}`));
    };

    const booked = await bookRoundTrip(db, {
      ...request,
      outboundIsoDate: checked.outboundIsoDate,
      inboundIsoDate: checked.inboundIsoDate,
    }).catch((e: unknown) => {
      const apiError = apiErrorFromDatabase(e) ?? e;
      if (socketId && apiError instanceof ApiError && apiError.status < 500) tellSocket(failedResult(socketId, apiError));
      throw apiError;
    });
    if (socketId) tellSocket(confirmedResult(socketId, booked.bookingId, request));

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
