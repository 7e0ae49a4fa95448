/** GET /api/bookings/{bookingId} and GET /api/users/{userId}/itineraries. */
import { Router } from 'express';
import type { Db } from '../db/client.ts';
import { findItinerary, listUserItineraries, type Itinerary, type ItineraryLeg } from '../db/itineraries.ts';
import { isoToWireDate } from '../domain/dates.ts';
import { callerOf, forbidden, mayActFor } from './access.ts';
import { ApiError, rethrowFromDatabase } from './errors.ts';
import { pageBody, pageWindow } from './pagination.ts';
import type { Booking, BookingPage, ItineraryQuery } from './schemas.ts';

const legBody = (leg: ItineraryLeg) => ({
  flightNumber: leg.flightNumber, date: isoToWireDate(leg.isoDate), seat: leg.seat,
  origin: leg.origin, destination: leg.destination, departureTime: leg.departureTime, arrivalTime: leg.arrivalTime,
});

/** A booking as the API shows it; `cancelledAt` only on cancelled bookings. */
export { legBody };

export const bookingBody = (itinerary: Itinerary): Booking => ({
  bookingId: itinerary.bookingId,
  userId: itinerary.userId,
  status: itinerary.status,
  outbound: legBody(itinerary.outbound),
  inbound: legBody(itinerary.inbound),
  createdAt: itinerary.createdAt,
  ...(itinerary.cancelledAt ? { cancelledAt: itinerary.cancelledAt } : {}),
});

export const bookingNotFound = (bookingId: string) =>
  new ApiError(404, { error: 'booking_not_found', message: `Booking ${bookingId} not found` });

export function itineraryRoutes(db: Db): Router {
  const router = Router();

  router.get('/api/bookings/:bookingId', async (req, res) => {
    const { bookingId } = req.params as { bookingId: string };
    const caller = callerOf(res);
    const itinerary = await findItinerary(db, bookingId).catch(rethrowFromDatabase);
    // Another user's booking answers exactly as an unknown one: its existence is not disclosed.
    if (!itinerary || !mayActFor(caller, itinerary.userId)) throw bookingNotFound(bookingId);
    res.json(bookingBody(itinerary));
  });

  router.get('/api/users/:userId/itineraries', async (req, res) => {
    const userId = Number(req.params.userId); // the validator has checked it is an integer in range
    // Before the lookup, so the answer is the same whether that user exists or not.
    if (!mayActFor(callerOf(res), userId)) throw forbidden('Customers may only list their own itineraries');
    const query = req.query as unknown as ItineraryQuery;
    const { userExists, total, itineraries } = await listUserItineraries(db, userId, pageWindow(query)).catch(rethrowFromDatabase);
    if (!userExists) throw new ApiError(404, { error: 'user_not_found', message: `User ${userId} not found` });
    const body: BookingPage = pageBody(itineraries.map(bookingBody), query, total);
    res.json(body);
  });

  return router;
}
