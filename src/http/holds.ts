/**
 * Seat holds: POST /api/flight/holds, POST /api/flight/holds/{holdId}/confirm, DELETE
 * /api/flight/holds/{holdId}. Thin over sql/holds.sql: hold_seats() takes the seats through the booking
 * rule, confirm_hold() turns them into a booking, release_hold() frees them; the seats trigger tells
 * subscribers each time.
 *
 * Who may: a hold belongs to the user who placed it. Without accounts (AUTH_MODE=none) the caller names
 * itself with `userId` (confirm body, release query), and another user's hold is a 403. With tokens the
 * caller is the user (`userId` may be left out; naming another is a 403), and another user's hold is a
 * 404, as if it did not exist; an admin acts on any hold.
 */
import { type Response, Router } from 'express';
import { checkRoundTrip, checkSeatChoice } from '../domain/bookingRules.ts';
import { isoToWireDate } from '../domain/dates.ts';
import type { Db } from '../db/client.ts';
import { confirmHold, holdSeats, type PartyTrip, type PlacedHold, releaseHold, reserveSeatsIdempotent } from '../db/holds.ts';
import { holdCreatedResult, holdReleasedResult } from '../channels/bookingResults.ts';
import { callerOf, forbidden, mayActFor } from './access.ts';
import { bookedLegs, refusalError, socketReporter } from './booking.ts';
import { ApiError, rethrowFromDatabase, validationError } from './errors.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, requestFingerprint } from './idempotency.ts';
import type { BookingConfirmation, HoldCreated, HoldOwner, HoldRequest } from './schemas.ts';

export const DEFAULT_HOLD_TTL_SECONDS = 300;

/**
 * Who a confirm or release acts for: the user whose hold it must be, or null for an admin acting on any
 * hold. The open mode's `userId` is required by the schema.
 */
function holdActor(res: Response, named: number | undefined): number | null {
  const caller = callerOf(res);
  if (caller.kind === 'open') {
    if (named === undefined) throw validationError([{ field: 'userId', message: "must have required property 'userId'" }]);
    return named;
  }
  if (named !== undefined && !mayActFor(caller, named)) throw forbidden('Customers may only act on their own holds: omit userId or give your own');
  return caller.role === 'admin' ? named ?? null : caller.userId;
}

/** With tokens, another user's hold is answered as if it did not exist: its id tells nothing. */
function hideOthersHold(res: Response, holdId: string) {
  return (e: unknown): never => {
    if (e instanceof ApiError && e.body.error === 'hold_forbidden' && callerOf(res).kind === 'user') {
      throw new ApiError(404, { error: 'hold_not_found', message: `Hold ${holdId} not found` });
    }
    throw e;
  };
}

export function holdRoutes(db: Db, holdTtlSeconds = DEFAULT_HOLD_TTL_SECONDS): Router {
  const router = Router();

  router.post('/api/flight/holds', async (req, res) => {
    const request = req.body as HoldRequest;
    const caller = callerOf(res);
    // As for bookings: the open mode names the user; with tokens it is the caller's own unless given.
    const userId = request.userId ?? (caller.kind === 'user' ? caller.userId : 0);
    if (!mayActFor(caller, userId)) throw forbidden('Customers may only hold seats for themselves: omit userId or give your own');
    const checked = checkRoundTrip(request);
    const choice = checkSeatChoice(request);
    if (!checked.ok || !choice.ok || !choice.party) {
      throw validationError([...(checked.ok ? [] : checked.problems), ...(choice.ok ? [] : choice.problems)]);
    }
    const socket = socketReporter(db, req, userId);
    const trip: PartyTrip = {
      ...request, userId, outboundIsoDate: checked.outboundIsoDate, inboundIsoDate: checked.inboundIsoDate, ...choice,
    };
    const idempotencyKey = req.get(IDEMPOTENCY_KEY_HEADER);
    let hold: PlacedHold;
    try {
      if (idempotencyKey === undefined) {
        hold = await holdSeats(db, trip, holdTtlSeconds).catch(rethrowFromDatabase);
      } else {
        // The operation is part of the fingerprint: the same body sent to POST /api/flight/booking is another request.
        const key = { idempotencyKey, requestFingerprint: requestFingerprint({ operation: 'hold', request: { ...request, userId } }) };
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
    socket.send((id) => holdCreatedResult(id, body, userId));
    res.status(201).json(body);
  });

  // Confirming is idempotent by itself: a hold confirmed before answers its booking again (marked
  // Idempotent-Replayed), so an Idempotency-Key adds nothing and is accepted as such.
  router.post('/api/flight/holds/:holdId/confirm', async (req, res) => {
    const { holdId } = req.params as { holdId: string };
    const userId = holdActor(res, (req.body as HoldOwner).userId);
    const socket = socketReporter(db, req, userId ?? undefined);
    res.locals.holdId = holdId;
    const confirmed = await confirmHold(db, holdId, userId).catch(rethrowFromDatabase).catch(hideOthersHold(res, holdId)).catch((e: unknown) => {
      socket.failed(e);
      throw e;
    });
    if (confirmed.replayed) res.set(IDEMPOTENT_REPLAYED_HEADER, 'true');
    res.locals.bookingId = confirmed.bookingId;
    const { outbound, inbound } = confirmed;
    const body: BookingConfirmation = {
      bookingId: confirmed.bookingId,
      status: confirmed.status,
      ...await bookedLegs(db, confirmed, {
        outbound: { flightNumber: outbound.flightNumber, date: isoToWireDate(outbound.isoDate), seats: outbound.seats },
        inbound: { flightNumber: inbound.flightNumber, date: isoToWireDate(inbound.isoDate), seats: inbound.seats },
      }, true),
    };
    socket.outcome({
      kind: 'confirmed',
      bookingId: body.bookingId,
      outbound: { flightNumber: body.outbound.flightNumber, seat: body.outbound.seat, seats: outbound.seats },
      inbound: { flightNumber: body.inbound.flightNumber, seat: body.inbound.seat, seats: inbound.seats },
      replayed: confirmed.replayed,
    });
    res.status(201).location(`/api/bookings/${confirmed.bookingId}`).json(body);
  });

  // Releasing a hold that already ended (released, expired) is a 204 too: its seats are free either way.
  router.delete('/api/flight/holds/:holdId', async (req, res) => {
    const { holdId } = req.params as { holdId: string };
    const userId = holdActor(res, (req.query as unknown as HoldOwner).userId);
    const socket = socketReporter(db, req, userId ?? undefined);
    res.locals.holdId = holdId;
    await releaseHold(db, holdId, userId).catch(rethrowFromDatabase).catch(hideOthersHold(res, holdId)).catch((e: unknown) => {
      socket.failed(e);
      throw e;
    });
    socket.send((id) => holdReleasedResult(id, holdId, userId ?? undefined));
    res.status(204).end();
  });

  return router;
}
