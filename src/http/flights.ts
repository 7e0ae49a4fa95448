/**
 * GET /api/flights and GET /api/flights/seats. The validator has checked and coerced the query (types,
 * patterns, page bounds, defaults); what is left here is what a schema cannot say: real calendar days
 * and a date range that runs forwards.
 */
import { Router } from 'express';
import type { FieldProblem } from '../domain/bookingRules.ts';
import type { Db } from '../db/client.ts';
import { listFlights } from '../db/listFlights.ts';
import { readSeatMaps } from '../db/seatMaps.ts';
import { isoToWireDate, wireDateToIso } from '../domain/dates.ts';
import { ApiError, rethrowFromDatabase, validationError } from './errors.ts';
import { pageBody, pageWindow } from './pagination.ts';
import type { FlightListQuery, FlightPage, SeatMap, SeatMapQuery } from './schemas.ts';

/** Reads the wire dates of a query as ISO dates, collecting a problem for each that is not a real day. */
function isoDates<K extends string>(query: Partial<Record<K, string>>, names: K[]) {
  const problems: FieldProblem[] = [];
  const iso: Partial<Record<K, string>> = {};
  for (const name of names) {
    const text = query[name];
    if (text === undefined) continue;
    const value = wireDateToIso(text);
    if (value) iso[name] = value;
    else problems.push({ field: name, message: `${text} is not a real DD/MM/YYYY date` });
  }
  return { iso, problems };
}

export function flightRoutes(db: Db): Router {
  const router = Router();

  router.get('/api/flights', async (req, res) => {
    const query = req.query as unknown as FlightListQuery;
    const { iso, problems } = isoDates(query, ['date', 'from', 'to']);
    if (iso.from && iso.to && iso.to < iso.from) problems.push({ field: 'to', message: 'to is before from' });
    if (problems.length > 0) throw validationError(problems);

    const { total, flights } = await listFlights(db, {
      flightNumber: query.flightNumber,
      isoDate: iso.date,
      fromIsoDate: iso.from,
      toIsoDate: iso.to,
      hasAvailableSeats: query.hasAvailableSeats,
    }, pageWindow(query)).catch(rethrowFromDatabase);

    const body: FlightPage = pageBody(flights.map((f) => ({
      flightNumber: f.flightNumber, date: isoToWireDate(f.isoDate), availableSeats: f.availableSeats, totalSeats: f.totalSeats,
    })), query, total);
    res.json(body);
  });

  router.get('/api/flights/seats', async (req, res) => {
    const query = req.query as unknown as SeatMapQuery;
    const { iso, problems } = isoDates(query, ['date']);
    if (!iso.date) throw validationError(problems);

    const [seatMap] = await readSeatMaps(db, [{ flightNumber: query.flightNumber, isoDate: iso.date }]).catch(rethrowFromDatabase);
    if (!seatMap) {
      throw new ApiError(404, { error: 'flight_not_found', message: `Flight ${query.flightNumber} on ${query.date} not found` });
    }
    // The same fields as the WebSocket seats_snapshot.
    const body: SeatMap = { ...seatMap, timestamp: new Date().toISOString() };
    res.json(body);
  });

  return router;
}
