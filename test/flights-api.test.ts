/**
 * GET /api/flights and GET /api/flights/seats over real HTTP against the seeded database; every response
 * is checked against the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPEC_EXAMPLE, listenForSeatChanges, postBooking } from './helpers/api.ts';
import { assertValidationError, callApi } from './helpers/contract.ts';
import { freshApiPerTest } from './helpers/setup.ts';

const t = freshApiPerTest();
const get = (path: string) => callApi(t.api.url, 'GET', path);
const SEED_FLIGHTS = 53;
/** CSV flights fly the LAX-SFO shuttle, 09:00-10:25 Pacific, 199.00 (src/seed/loader.ts). */
const csvFlight = (flightNumber: string, date: string, availableSeats: number[]) => {
  const north = Number(flightNumber.at(-1)) % 2 === 1;
  const [dd, mm, yyyy] = date.split('/');
  return {
    flightNumber, date, availableSeats, totalSeats: 8,
    origin: north ? 'LAX' : 'SFO', destination: north ? 'SFO' : 'LAX',
    departureTime: `${yyyy}-${mm}-${dd}T09:00:00-07:00`, arrivalTime: `${yyyy}-${mm}-${dd}T10:25:00-07:00`,
    originTimeZone: 'America/Los_Angeles', destinationTimeZone: 'America/Los_Angeles', fare: 199, status: 'scheduled',
  };
};

describe('GET /api/flights', () => {
  it('first page by default: 20 flights by date then number, each with its free seats, and the total', async () => {
    const { status, body } = await get('/api/flights');
    assert.equal(status, 200);
    assert.deepEqual({ page: body.page, limit: body.limit, total: body.total, count: body.items.length }, {
      page: 1, limit: 20, total: SEED_FLIGHTS, count: 20,
    });
    assert.deepEqual(body.items.slice(0, 3), [
      csvFlight('BKJT123', '07/04/2025', [1, 2, 5, 6, 7]),
      csvFlight('BKJT456', '07/04/2025', [2, 3, 5, 7, 8]),
      csvFlight('BKJT234', '08/04/2025', [2, 3, 4, 5, 7, 8]),
    ]);
  });

  it('pages through all flights without gaps or repeats; past the end is an empty page with the total', async () => {
    const pages = await Promise.all([1, 2, 3, 4].map((page) => get(`/api/flights?page=${page}&limit=20`)));
    assert.deepEqual(pages.map((p) => p.body.items.length), [20, 20, 13, 0]);
    assert.ok(pages.every((p) => p.body.total === SEED_FLIGHTS && p.body.limit === 20));
    const keys = pages.flatMap((p) => p.body.items.map((f: any) => `${f.flightNumber} ${f.date}`));
    assert.equal(new Set(keys).size, SEED_FLIGHTS);
    assert.equal(pages[3]!.body.page, 4);
  });

  it('filters by flight number, by day, and by an inclusive date range; filters combine', async () => {
    const byNumber = await get('/api/flights?flightNumber=BKJT123');
    assert.equal(byNumber.body.total, 5);
    assert.ok(byNumber.body.items.every((f: any) => f.flightNumber === 'BKJT123'));

    const byDay = await get('/api/flights?date=07/04/2025');
    assert.deepEqual(byDay.body.items.map((f: any) => f.flightNumber), ['BKJT123', 'BKJT456']);
    const encoded = await get('/api/flights?date=07%2F04%2F2025');
    assert.deepEqual(encoded.body, byDay.body);

    const range = await get('/api/flights?from=08/04/2025&to=15/04/2025');
    assert.deepEqual(range.body.items.map((f: any) => `${f.flightNumber} ${f.date}`), [
      'BKJT234 08/04/2025', 'BKJT234 09/04/2025', 'BKJT789 12/04/2025', 'BKJT345 15/04/2025',
    ]);

    const combined = await get('/api/flights?flightNumber=BKJT234&from=08/04/2025&to=15/04/2025&limit=1&page=2');
    assert.deepEqual([combined.body.total, combined.body.items.map((f: any) => f.date)], [2, ['09/04/2025']]);
  });

  it('hasAvailableSeats tells open flights from full ones, and follows bookings', async () => {
    assert.equal((await get('/api/flights?hasAvailableSeats=false')).body.total, 0);
    const booked = await postBooking(t.api.url, {
      outboundFlightNumber: 'BKJT999', outboundDate: '01/05/2025', outboundSeat: 8,
      inboundFlightNumber: 'BKJT432', inboundDate: '02/05/2025', inboundSeat: 2, userId: 3,
    });
    assert.equal(booked.status, 201);
    const full = await get('/api/flights?hasAvailableSeats=false');
    assert.deepEqual(full.body.items, [csvFlight('BKJT999', '01/05/2025', [])]);
    const open = await get('/api/flights?hasAvailableSeats=true&limit=100');
    assert.equal(open.body.total, SEED_FLIGHTS - 1);
    assert.ok(open.body.items.every((f: any) => f.availableSeats.length > 0));
  });

  const invalid: [string, string][] = [
    ['limit above the maximum', 'limit=101'],
    ['limit 0', 'limit=0'],
    ['page 0', 'page=0'],
    ['a non-numeric page', 'page=two'],
    ['a fractional limit', 'limit=2.5'],
    ['an empty page', 'page='],
    ['a repeated page', 'page=1&page=2'],
    ['a lowercase flight number', 'flightNumber=bkjt123'],
    ['a date in the wrong format', 'date=2025-04-07'],
    ['an impossible date', 'date=31/02/2025'],
    ['an impossible from', 'from=00/04/2025'],
    ['a range that runs backwards', 'from=15/04/2025&to=08/04/2025'],
    ['a non-boolean hasAvailableSeats', 'hasAvailableSeats=yes'],
    ['an unknown parameter', 'sort=date'],
  ];
  for (const [what, query] of invalid) {
    it(`400 validation_error for ${what}`, async () => {
      assertValidationError(await get(`/api/flights?${query}`));
    });
  }

  it('a 400 names the query parameter at fault', async () => {
    assert.deepEqual((await get('/api/flights?date=31/02/2025')).body.details, [
      { field: 'date', message: '31/02/2025 is not a real DD/MM/YYYY date' },
    ]);
    assert.deepEqual((await get('/api/flights?from=15/04/2025&to=08/04/2025')).body.details.map((d: any) => d.field), ['to']);
    assert.deepEqual((await get('/api/flights?limit=101')).body.details.map((d: any) => d.field), ['limit']);
  });
});

describe('GET /api/flights/seats', () => {
  it('is the seat map: the spec snapshot example, a timestamp and the seats version', async () => {
    const { status, body } = await get('/api/flights/seats?flightNumber=BKJT123&date=07/04/2025');
    assert.equal(status, 200);
    assert.deepEqual({ ...body, timestamp: undefined, version: undefined }, {
      ...csvFlight('BKJT123', '07/04/2025', [1, 2, 5, 6, 7]), heldSeats: [], timestamp: undefined, version: undefined,
    });
    assert.match(body.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(Math.abs(Date.parse(body.timestamp) - Date.now()) < 60_000);
    assert.equal(typeof body.version, 'number');
  });

  it('after a booking: the new seat map, with the version of the seats_updated it sent', async () => {
    const listener = await listenForSeatChanges(t.databaseUrl);
    try {
      assert.equal((await postBooking(t.api.url, SPEC_EXAMPLE)).status, 201);
      const event = (await listener.drain()).find((e) => e.flightNumber === 'BKJT123');
      const { body } = await get('/api/flights/seats?flightNumber=BKJT123&date=07/04/2025');
      assert.deepEqual(body.availableSeats, [1, 2, 6, 7]);
      assert.equal(body.version, event.version);
    } finally {
      await listener.close();
    }
  });

  it('404 flight_not_found, naming the flight', async () => {
    const { status, body } = await get('/api/flights/seats?flightNumber=BKJT000&date=07/04/2025');
    assert.equal(status, 404);
    assert.deepEqual(body, { error: 'flight_not_found', message: 'Flight BKJT000 on 07/04/2025 not found' });
  });

  for (const [what, query, field] of [
    ['a missing date', 'flightNumber=BKJT123', 'date'],
    ['a missing flight number', 'date=07/04/2025', 'flightNumber'],
    ['an impossible date', 'flightNumber=BKJT123&date=29/02/2025', 'date'],
  ] as const) {
    it(`400 validation_error for ${what}, naming ${field}`, async () => {
      assertValidationError(await get(`/api/flights/seats?${query}`), field);
    });
  }
});
