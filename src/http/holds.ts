/**
 * Seat holds: POST /api/flight/holds, POST /api/flight/holds/{holdId}/confirm, DELETE
 * /api/flight/holds/{holdId}. Thin over sql/holds.sql: hold_seats() takes the seats through the booking
 * rule, confirm_hold() turns them into a booking, release_hold() frees them; the seats trigger tells
 * subscribers each time.
 *
 * Who may: a hold belongs to the user who placed it. Without accounts (the open mode) the caller names
 * itself with `userId` (confirm body, release query), and another user's hold is a 403.
 */
import { Router } from 'express';
import { checkRoundTrip, checkSeatChoice } from '../domain/bookingRules.ts';
import { isoToWireDate } from '../domain/dates.ts';
import type { Db } from '../db/client.ts';
import { confirmHold, holdSeats, type PartyTrip, type PlacedHold, releaseHold, reserveSeatsIdempotent } from '../db/holds.ts';
import { confirmedResult, holdCreatedResult, holdReleasedResult } from '../channels/bookingResults.ts';
import { bookedLeg, refusalError, socketReporter } from './booking.ts';
import { rethrowFromDatabase, validationError } from './errors.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, requestFingerprint } from './idempotency.ts';
import type { BookingConfirmation, HoldCreated, HoldOwner, HoldRequest } from './schemas.ts';

export const DEFAULT_HOLD_TTL_SECONDS = 300;

export function holdRoutes(db: Db, holdTtlSeconds = DEFAULT_HOLD_TTL_SECONDS): Router {
  const router = Router();

  router.post('/api/flight/holds', async (req, res) => {
    const request = req.body as HoldRequest;
    const checked = checkRoundTrip(request);
    const choice = checkSeatChoice(request);
    if (!checked.ok || !choice.ok || !choice.party) {
      throw validationError([...(checked.ok ? [] : checked.problems), ...(choice.ok ? [] : choice.problems)]);
    }
    const socket = socketReporter(db, req);
    const trip: PartyTrip = {
      ...request, outboundIsoDate: checked.outboundIsoDate, inboundIsoDate: checked.inboundIsoDate, ...choice,
    };
    const idempotencyKey = req.get(IDEMPOTENCY_KEY_HEADER);
    let hold: PlacedHold;
    try {
      if (idempotencyKey === undefined) {
        hold = await holdSeats(db, trip, holdTtlSeconds).catch(rethrowFromDatabase);
      } else {
        // The operation is part of the fingerprint: the same body sent to POST /api/flight/booking is another request.
        const key = { idempotencyKey, requestFingerprint: requestFingerprint({ operation: 'hold', request }) };
        const outcome = await reserveSeatsIdempotent(db, trip, holdTtlSeconds, key).catch(rethrowFromDatabase);
        if ('refused' in outcome) throw refusalError(outcome.refused, outcome.replayed);
        if (!('held' in outcome)) throw new Error('a hold key replayed a booking');
        if (outcome.replayed) res.set(IDEMPOTENT_REPLAYED_HEADER, 'true');
        hold = outcome.held;
      }
    } catch (e) {
      socket.failed(e);
      throw e;
    }
    res.locals.holdId = hold.holdId;
    const body: HoldCreated = {
      holdId: hold.holdId,
      expiresAt: hold.expiresAt,
      outbound: { flightNumber: request.outboundFlightNumber, date: request.outboundDate, seats: request.outboundSeats },
      inbound: { flightNumber: request.inboundFlightNumber, date: request.inboundDate, seats: request.inboundSeats },
    };
    socket.send((id) => holdCreatedResult(id, body));
    res.status(201).json(body);
  });

  // Confirming is idempotent by itself: a hold confirmed before answers its booking again (marked
  // Idempotent-Replayed), so an Idempotency-Key adds nothing and is accepted as such.
  router.post('/api/flight/holds/:holdId/confirm', async (req, res) => {
    const { holdId } = req.params as { holdId: string };
    const { userId } = req.body as HoldOwner;
    const socket = socketReporter(db, req);
    res.locals.holdId = holdId;
    const confirmed = await confirmHold(db, holdId, userId).catch(rethrowFromDatabase).catch((e: unknown) => {
      socket.failed(e);
      throw e;
    });
    if (confirmed.replayed) res.set(IDEMPOTENT_REPLAYED_HEADER, 'true');
    res.locals.bookingId = confirmed.bookingId;
    const { outbound, inbound } = confirmed;
    const body: BookingConfirmation = {
      bookingId: confirmed.bookingId,
      status: confirmed.status,
      outbound: bookedLeg(outbound.flightNumber, isoToWireDate(outbound.isoDate), outbound.seats, true),
      inbound: bookedLeg(inbound.flightNumber, isoToWireDate(inbound.isoDate), inbound.seats, true),
    };
    socket.send((id) => confirmedResult(id, body));
    res.status(201).location(`/api/bookings/${confirmed.bookingId}`).json(body);
  });

  // Releasing a hold that already ended (released, expired) is a 204 too: its seats are free either way.
  router.delete('/api/flight/holds/:holdId', async (req, res) => {
    const { holdId } = req.params as { holdId: string };
    const { userId } = req.query as unknown as HoldOwner;
    const socket = socketReporter(db, req);
    res.locals.holdId = holdId;
    await releaseHold(db, holdId, userId).catch(rethrowFromDatabase).catch((e: unknown) => {
      socket.failed(e);
      throw e;
    });
    socket.send((id) => holdReleasedResult(id, holdId));
    res.status(204).end();
  });

  return router;
}
