/**
 * GET /api/flights (search), GET /api/flights/seats, and flight management: POST /api/flights,
 * POST /api/flights/batch, PATCH /api/flights/times, POST /api/flights/cancellation.
 *
 * The validator has checked and coerced the input (types, patterns, page bounds, defaults); what is left
 * here is what a schema cannot say: real calendar days and instants, ranges that run forwards, and that a
 * round-trip search names its route. Management is admin-only with identity on (open with AUTH_MODE=none),
 * and one SQL function call each (sql/flights.sql); the
 * answer is the flight as it now stands.
 */
import { Router } from 'express';
import type { FieldProblem } from '../domain/bookingRules.ts';
import type { Db } from '../db/client.ts';
import { type DepartureBound, type FlightFilter, type FlightListing, listFlights } from '../db/listFlights.ts';
import { cancelFlight, changeFlightTimes, createFlights, type NewFlightRow } from '../db/manageFlights.ts';
import { readSeatMaps, type SeatMap as SeatMapRow } from '../db/seatMaps.ts';
import { isoToWireDate, parseDayOrInstant, wireDateToIso } from '../domain/dates.ts';
import { requireAdmin } from './access.ts';
import { ApiError, rethrowFromDatabase, validationError } from './errors.ts';
import { pageBody, pageWindow } from './pagination.ts';
import type {
  FlightBatch, FlightCancellation, FlightListQuery, FlightPage, FlightRefBody, FlightSummary, FlightTimesChange,
  NewFlight, NewFlightBatch, SeatMap, SeatMapQuery,
} from './schemas.ts';

/** Reads the wire dates of a query as ISO dates, collecting a problem for each that is not a real day. */
function isoDates<K extends string>(query: Partial<Record<K, string>>, names: K[], problems: FieldProblem[] = []) {
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

/** Reads ISO 8601 days or instants, collecting a problem for each that is neither. */
function departureBounds<K extends string>(query: Partial<Record<K, string>>, names: K[], problems: FieldProblem[]) {
  const bounds: Partial<Record<K, DepartureBound>> = {};
  for (const name of names) {
    const text = query[name];
    if (text === undefined) continue;
    const bound = parseDayOrInstant(text);
    if (bound) bounds[name] = bound;
    else problems.push({ field: name, message: `${text} is not a real ISO 8601 date or date-time with offset` });
  }
  return bounds;
}

/** Is bound `a` after bound `b`? Only decided when both are of one kind; the database sorts out the rest. */
const isAfter = (a: DepartureBound | undefined, b: DepartureBound | undefined) => {
  if (!a || !b) return false;
  if ('isoDate' in a && 'isoDate' in b) return a.isoDate > b.isoDate;
  if ('instant' in a && 'instant' in b) return Date.parse(a.instant) > Date.parse(b.instant);
  return false;
};

const flightBody = ({ isoDate, ...flight }: FlightListing): FlightSummary => ({ ...flight, date: isoToWireDate(isoDate) });
// A flight as searches answer it: the seat map without its version and held seats (which only seat maps show).
const seatMapFlight = ({ version: _version, heldSeats: _held, ...flight }: SeatMapRow): FlightSummary => flight;

const flightNotFound = (flightNumber: string, date: string) =>
  new ApiError(404, { error: 'flight_not_found', message: `Flight ${flightNumber} on ${date} not found` });

/** The flight as it now stands, after a management call. */
async function currentFlight(db: Db, flightNumber: string, isoDate: string): Promise<FlightSummary> {
  const [seatMap] = await readSeatMaps(db, [{ flightNumber, isoDate }]).catch(rethrowFromDatabase);
  if (!seatMap) throw flightNotFound(flightNumber, isoToWireDate(isoDate)); // flights are never deleted
  return seatMapFlight(seatMap);
}

function newFlightRows(flights: NewFlight[], fieldPrefix: (i: number) => string): NewFlightRow[] {
  const problems: FieldProblem[] = [];
  const rows = flights.map((f, i) => {
    const isoDate = wireDateToIso(f.date);
    if (!isoDate) problems.push({ field: `${fieldPrefix(i)}date`, message: `${f.date} is not a real DD/MM/YYYY date` });
    for (const name of ['departureTime', 'arrivalTime'] as const) {
      if (!parseDayOrInstant(f[name])) problems.push({ field: `${fieldPrefix(i)}${name}`, message: `${f[name]} is not a real ISO 8601 date-time` });
    }
    return { ...f, isoDate: isoDate ?? '' };
  });
  if (problems.length > 0) throw validationError(problems);
  return rows;
}

function flightRef(body: { flightNumber: string; date: string }) {
  const isoDate = wireDateToIso(body.date);
  if (!isoDate) throw validationError([{ field: 'date', message: `${body.date} is not a real DD/MM/YYYY date` }]);
  return { flightNumber: body.flightNumber, isoDate };
}

export function flightRoutes(db: Db): Router {
  const router = Router();

  router.get('/api/flights', async (req, res) => {
    const query = req.query as unknown as FlightListQuery;
    const { iso, problems } = isoDates(query, ['date', 'from', 'to']);
    if (iso.from && iso.to && iso.to < iso.from) problems.push({ field: 'to', message: 'to is before from' });
    const bounds = departureBounds(query, ['departureFrom', 'departureTo', 'returnFrom', 'returnTo'], problems);
    if (isAfter(bounds.departureFrom, bounds.departureTo)) problems.push({ field: 'departureTo', message: 'departureTo is before departureFrom' });
    if (isAfter(bounds.returnFrom, bounds.returnTo)) problems.push({ field: 'returnTo', message: 'returnTo is before returnFrom' });
    const roundTrip = query.returnFrom !== undefined || query.returnTo !== undefined;
    if (roundTrip && (!query.origin || !query.destination)) {
      problems.push({ field: query.origin ? 'destination' : 'origin', message: 'a round-trip search (returnFrom/returnTo) needs origin and destination' });
    }
    if (problems.length > 0) throw validationError(problems);

    // `date`, `from` and `to` (DD/MM/YYYY) are day bounds like a date-only departureFrom/departureTo.
    const day = (isoDate: string | undefined) => (isoDate ? { isoDate } : undefined);
    const tightest = (a: DepartureBound | undefined, b: DepartureBound | undefined, side: 'from' | 'to') =>
      !a ? b : !b ? a : (isAfter(a, b) === (side === 'from') ? a : b);
    const common: FlightFilter = {
      flightNumber: query.flightNumber,
      hasAvailableSeats: query.hasAvailableSeats,
      minFreeSeats: query.minFreeSeats,
      status: query.status,
    };
    const outbound: FlightFilter = {
      ...common,
      origin: query.origin,
      destination: query.destination,
      departureFrom: tightest(tightest(day(iso.date), day(iso.from), 'from'), bounds.departureFrom, 'from'),
      departureTo: tightest(tightest(day(iso.date), day(iso.to), 'to'), bounds.departureTo, 'to'),
    };
    const window = pageWindow(query);
    const found = await listFlights(db, outbound, window).catch(rethrowFromDatabase);
    const body: FlightPage = pageBody(found.flights.map(flightBody), query, found.total);
    if (roundTrip) {
      const back = await listFlights(db, {
        ...common, origin: query.destination, destination: query.origin, departureFrom: bounds.returnFrom, departureTo: bounds.returnTo,
      }, window).catch(rethrowFromDatabase);
      body.inbound = { items: back.flights.map(flightBody), total: back.total };
    }
    res.json(body);
  });

  router.get('/api/flights/seats', async (req, res) => {
    const query = req.query as unknown as SeatMapQuery;
    const { iso, problems } = isoDates(query, ['date']);
    if (!iso.date) throw validationError(problems);

    const [seatMap] = await readSeatMaps(db, [{ flightNumber: query.flightNumber, isoDate: iso.date }]).catch(rethrowFromDatabase);
    if (!seatMap) throw flightNotFound(query.flightNumber, query.date);
    // The fields of the WebSocket seats_snapshot, and the flight's route and times.
    const body: SeatMap = { ...seatMap, timestamp: new Date().toISOString() };
    res.json(body);
  });

  router.post('/api/flights', async (req, res) => {
    requireAdmin(res);
    const [flight] = newFlightRows([req.body as NewFlight], () => '') as [NewFlightRow];
    await createFlights(db, [flight]).catch(rethrowFromDatabase);
    const body = await currentFlight(db, flight.flightNumber, flight.isoDate);
    res.status(201).location(`/api/flights/seats?flightNumber=${flight.flightNumber}&date=${body.date}`).json(body);
  });

  router.post('/api/flights/batch', async (req, res) => {
    requireAdmin(res);
    const flights = newFlightRows((req.body as NewFlightBatch).flights, (i) => `flights[${i}].`);
    await createFlights(db, flights).catch(rethrowFromDatabase);
    const maps = await readSeatMaps(db, flights).catch(rethrowFromDatabase);
    const body: FlightBatch = { items: maps.map(seatMapFlight) };
    res.status(201).json(body);
  });

  router.patch('/api/flights/times', async (req, res) => {
    requireAdmin(res);
    const change = req.body as FlightTimesChange;
    const ref = flightRef(change);
    const bad = (['departureTime', 'arrivalTime'] as const).filter((name) => !parseDayOrInstant(change[name]));
    if (bad.length > 0) throw validationError(bad.map((name) => ({ field: name, message: `${change[name]} is not a real ISO 8601 date-time` })));
    await changeFlightTimes(db, ref, change.departureTime, change.arrivalTime).catch(rethrowFromDatabase);
    res.json(await currentFlight(db, ref.flightNumber, ref.isoDate));
  });

  router.post('/api/flights/cancellation', async (req, res) => {
    requireAdmin(res);
    const ref = flightRef(req.body as FlightRefBody);
    const outcome = await cancelFlight(db, ref).catch(rethrowFromDatabase);
    const body: FlightCancellation = { flight: await currentFlight(db, ref.flightNumber, ref.isoDate), ...outcome };
    res.json(body);
  });

  return router;
}
