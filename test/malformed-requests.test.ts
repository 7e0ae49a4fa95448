/**
 * A generated batch of malformed requests against one running API: wrong types, out-of-range values,
 * impossible dates, odd encodings and media types, huge and deeply nested JSON, unicode look-alikes,
 * SQL-looking strings, bad query and path parameters, bad headers. Every answer must be a 4xx with the
 * one error body (checked against the OpenAPI document), nothing may leak, nothing may be written, and
 * the server must still be healthy and booking afterwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPEC_EXAMPLE, query } from './helpers/api.ts';
import { assertMatchesContract } from './helpers/contract.ts';
import { freshApiPerTest } from './helpers/setup.ts';

const t = freshApiPerTest();

interface Probe {
  what: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const BOOKING = '/api/flight/booking';
const SQL_LOOKING = ["'; drop table seats; --", "1' or '1'='1", '1; select pg_sleep(10)', "$$; delete from bookings; $$"];
const UNICODE = ['ＢＫＪＴ１２３', 'BKJT\u0000123', '✈️', '\ud800', 'Ｂ', 'é'.repeat(300), '\u202eBKJT123'];

const badValuesByField: Record<keyof typeof SPEC_EXAMPLE, unknown[]> = {
  outboundFlightNumber: [null, 123, true, [], {}, '', 'bkjt123', 'BKJT 123', 'A', 'ABCDEFGHIJK', 'A'.repeat(5000), ...SQL_LOOKING, ...UNICODE],
  inboundFlightNumber: [null, 0, false, ['BKJT234'], { $ne: null }, ' BKJT234', 'BKJT-234', ...SQL_LOOKING, ...UNICODE],
  outboundDate: [null, 7042025, true, [], '', '7/4/2025', '2025-04-07', '31/02/2025', '00/01/2025', '07/13/2025',
    '29/02/2025', '07/04/25', ' 07/04/2025', '07/04/2025 ', '０７/04/2025', '99/99/9999', '01/01/0000', ...SQL_LOOKING],
  inboundDate: [null, {}, '06/04/2025', '32/04/2025', '08-04-2025', '08/04/2025\n', 'tomorrow', ...SQL_LOOKING, ...UNICODE],
  outboundSeat: [null, '5', 5.5, 0, -1, 9, 2 ** 31, 1e20, true, [5], { $gt: 0 }, '5; drop table seats'],
  inboundSeat: [null, '3', 3.01, -3, 10, 255, 2 ** 53, false, [], {}, ...SQL_LOOKING],
  userId: [null, '1', 1.5, 0, -1, 2 ** 31, 1e20, true, [1], { id: 1 }, ...SQL_LOOKING],
};

function bookingBodyProbes(): Probe[] {
  const probes: Probe[] = [];
  const post = (what: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = JSON_TYPE) =>
    probes.push({ what, method: 'POST', path: BOOKING, headers, body });

  for (const [field, values] of Object.entries(badValuesByField)) {
    for (const value of values) post(`${field} = ${JSON.stringify(value)?.slice(0, 40)}`, JSON.stringify({ ...SPEC_EXAMPLE, [field]: value }));
    const { [field as keyof typeof SPEC_EXAMPLE]: _, ...without } = SPEC_EXAMPLE;
    post(`missing ${field}`, JSON.stringify(without));
  }
  for (const extra of ['coupon', 'userid', '', 'constructor', 'OutboundSeat', '$where']) {
    post(`extra field ${JSON.stringify(extra)}`, JSON.stringify({ ...SPEC_EXAMPLE, [extra]: 1 }));
  }
  post('a __proto__ key', `{"__proto__": {"userId": 1}, ${JSON.stringify(SPEC_EXAMPLE).slice(1)}`);
  post('a duplicate key whose last value is wrong', `${JSON.stringify(SPEC_EXAMPLE).slice(0, -1)}, "userId": "1"}`);
  post('both legs the same flight', JSON.stringify({ ...SPEC_EXAMPLE, inboundFlightNumber: 'BKJT123', inboundDate: '07/04/2025' }));

  const texts = ['', ' ', '{', '}', '{"a":}', '{"outboundSeat": 5,}', "{'userId': 1}", 'null', 'true', '1', '"text"', '[]',
    '[{}]', `[${JSON.stringify(SPEC_EXAMPLE)}]`, 'NaN', 'undefined', '\u0000', '\ufeff{}', '{}garbage', '{"a":1}{"b":2}',
    '/* comment */ {}', JSON.stringify(SPEC_EXAMPLE).replace(/"/g, "'"), 'select * from bookings'];
  for (const text of texts) post(`body ${JSON.stringify(text).slice(0, 40)}`, text);

  post('8000 nested arrays', `${'['.repeat(8000)}${']'.repeat(8000)}`);
  post('2500 nested objects', `${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}`);
  post('a deeply nested field value', JSON.stringify({ ...SPEC_EXAMPLE, userId: JSON.parse(`${'['.repeat(1000)}${']'.repeat(1000)}`) }));
  post('a thousand extra keys', JSON.stringify(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]))));
  post('a 17 kB body', JSON.stringify({ ...SPEC_EXAMPLE, padding: 'x'.repeat(17 * 1024) }));
  post('a 1 MB body', JSON.stringify({ padding: 'x'.repeat(1024 * 1024) }));
  post('invalid UTF-8 bytes', new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]));
  post('UTF-16 bytes declared as UTF-8', new Uint8Array(Buffer.from(JSON.stringify(SPEC_EXAMPLE), 'utf16le')));

  const body = JSON.stringify(SPEC_EXAMPLE);
  for (const contentType of ['text/plain', 'text/html', 'application/xml', 'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x', 'application/jsonx', 'application/merge-patch+json', '*/*',
    'application/json; charset=latin1', 'application/json; charset=shift_jis', 'image/png', 'json']) {
    post(`content-type ${contentType}`, body, { 'content-type': contentType });
  }
  post('no content-type', body, {});
  for (const encoding of ['gzip', 'deflate', 'br', 'compress', 'x-unknown']) {
    post(`content-encoding ${encoding} on plain bytes`, body, { ...JSON_TYPE, 'content-encoding': encoding });
  }
  for (const key of ['', ' ', 'a b', 'k'.repeat(256), 'cl\u00e9', 'tab\there', "'; drop table idempotency_keys; --x y"]) {
    post(`Idempotency-Key ${JSON.stringify(key).slice(0, 30)} with a valid body`, body, { ...JSON_TYPE, 'idempotency-key': key });
  }
  return probes;
}

function queryProbes(): Probe[] {
  const flights = ['page=-1', 'page=0', 'page=abc', 'page=1.5', 'page=', 'page=1&page=2', 'page[x]=1', 'page=1000001',
    'limit=0', 'limit=101', 'limit=1e9', 'limit=-5', 'limit=%00', 'limit=true', 'flightNumber=bkjt123',
    "flightNumber=%27%20OR%201%3D1%20--", 'flightNumber=%F0%9F%9B%AB', 'flightNumber=', `flightNumber=${'A'.repeat(5000)}`,
    'date=2025-04-07', 'date=31/02/2025', 'date=07%2F04%2F2025%00', 'date=07/04/2025&date=08/04/2025', 'from=garbage',
    'to=13/13/2025', 'from=15/04/2025&to=08/04/2025', 'hasAvailableSeats=yes', 'hasAvailableSeats=1', 'hasAvailableSeats=TRUE',
    'unknown=1', '%3Bdrop=1', 'sort=date;drop table flights', 'date[]=07/04/2025'];
  const seats = ['', 'flightNumber=BKJT123', 'date=07/04/2025', 'flightNumber=BKJT123&date=2025-04-07',
    'flightNumber=BKJT123&date=30/02/2025', 'flightNumber=bkjt123&date=07/04/2025', "flightNumber=BKJT123'--&date=07/04/2025",
    'flightNumber=BKJT123&date=07/04/2025&extra=1', 'flightNumber=BKJT123&flightNumber=BKJT234&date=07/04/2025',
    'flightNumber=%EF%BC%A2KJT123&date=07/04/2025'];
  const itineraries = ['page=0', 'limit=1000', 'status=cancelled', 'page=x', 'limit='];
  const encodable = [...SQL_LOOKING, ...UNICODE].filter((v) => v !== '\ud800'); // a lone surrogate has no URL form
  for (const value of encodable.map(encodeURIComponent)) {
    flights.push(`flightNumber=${value}`, `date=${value}`, `from=01/04/2025&to=${value}`);
  }
  return [
    ...flights.map((q) => ({ what: `flights ?${q.slice(0, 40)}`, method: 'GET', path: `/api/flights?${q}` })),
    ...seats.map((q) => ({ what: `seats ?${q}`, method: 'GET', path: `/api/flights/seats?${q}` })),
    ...itineraries.map((q) => ({ what: `itineraries ?${q}`, method: 'GET', path: `/api/users/1/itineraries?${q}` })),
  ];
}

function pathProbes(): Probe[] {
  const badIds = ['abc', '1', '0', '-1', 'null', 'undefined', "'%20OR%201%3D1%20--", '00000000-0000-4000-8000-00000000000G',
    '00000000000040008000000000000000', '{00000000-0000-4000-8000-000000000000}', 'urn:uuid:00000000-0000-4000-8000-000000000000',
    '00000000-0000-4000-8000-000000000000-0', '%E0%A4%A', '%00', '%F0%9F%98%80', 'x'.repeat(1000), '..%2F..%2Fetc%2Fpasswd',
    '00000000-0000-4000-8000-00000000000%C3%A9'];
  const badUsers = ['abc', '0', '-1', '1.5', '2147483648', '99999999999999999999', 'null', '1%3Bdrop', '%E0%A4%A', 'true', '[1]'];
  const unknown = ['/api', '/api/', '/api/flight', '/api/flights/seats/extra', '/.env', '/api/bookings', '/api/users//itineraries',
    '/api/users/1/itineraries/x', '/admin', '/api/flight/booking/x/y', '/%2e%2e/%2e%2e/etc/passwd'];
  const wrongMethods: [string, string][] = [['GET', BOOKING], ['PUT', BOOKING], ['PATCH', BOOKING], ['POST', '/api/flights'],
    ['DELETE', '/api/flights'], ['PUT', '/api/flights/seats'], ['POST', '/api/bookings/00000000-0000-4000-8000-000000000000'],
    ['PUT', '/api/flight/booking/00000000-0000-4000-8000-000000000000'], ['DELETE', '/healthz'], ['POST', '/readyz'], ['OPTIONS', '/api/flights']];
  return [
    ...badIds.map((id) => ({ what: `GET booking ${id.slice(0, 40)}`, method: 'GET', path: `/api/bookings/${id}` })),
    ...badIds.map((id) => ({ what: `DELETE booking ${id.slice(0, 40)}`, method: 'DELETE', path: `${BOOKING}/${id}` })),
    ...badUsers.map((id) => ({ what: `itineraries of user ${id}`, method: 'GET', path: `/api/users/${id}/itineraries` })),
    ...unknown.map((path) => ({ what: `unknown route ${path}`, method: 'GET', path })),
    ...wrongMethods.map(([method, path]) => ({ what: `${method} ${path}`, method, path, headers: JSON_TYPE, body: method === 'GET' || method === 'OPTIONS' ? undefined : '{}' })),
  ];
}

/** Signs of internals in a response: stack frames, PostgreSQL error texts, file paths, library names. */
const LEAKS = [/\n\s+at /, /\.ts:\d+/, /node_modules/, /syntax error at or near/i, /invalid input syntax/i, /violates/i,
  /relation "/i, /SQLSTATE/i, /pg_catalog/i, /Failed query/i, /drizzle/i, /stack/i];

async function send(baseUrl: string, probe: Probe) {
  const response = await fetch(`${baseUrl}${probe.path}`, { method: probe.method, headers: probe.headers, body: probe.body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

describe('a generated batch of malformed requests', () => {
  it('every one is a 4xx with the error body, nothing leaks, nothing is written, the server stays healthy', async () => {
    const probes = [...bookingBodyProbes(), ...queryProbes(), ...pathProbes()];
    assert.ok(probes.length >= 300, `only ${probes.length} probes`);

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < probes.length; i += 25) { // in parallel, 25 at a time
      await Promise.all(probes.slice(i, i + 25).map(async (probe) => {
        const { status, headers, text } = await send(t.api.url, probe);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        try {
          assert.ok(status >= 400 && status < 500, `status ${status}`);
          const body = JSON.parse(text);
          assertMatchesContract(probe.method, probe.path, { status, headers, body });
          for (const leak of LEAKS) assert.doesNotMatch(text, leak);
        } catch (e) {
          failures.push(`${probe.what} (${probe.method} ${probe.path.slice(0, 60)}): ${(e as Error).message.split('\n')[0]} ${text.slice(0, 120)}`);
        }
      }));
    }
    assert.deepEqual(failures, []);
    assert.ok(!statuses.has(500));
    assert.ok((statuses.get(400) ?? 0) > 200, JSON.stringify([...statuses]));

    assert.deepEqual(await query(t.databaseUrl, `select (select count(*) from bookings)::int as bookings,
      (select count(*) from idempotency_keys)::int as keys, (select count(*) from seats)::int as seats`),
    [{ bookings: 0, keys: 0, seats: 137 }]);

    const health = await send(t.api.url, { what: 'healthz', method: 'GET', path: '/healthz' });
    const ready = await send(t.api.url, { what: 'readyz', method: 'GET', path: '/readyz' });
    const booking = await send(t.api.url, { what: 'a valid booking', method: 'POST', path: BOOKING, headers: JSON_TYPE, body: JSON.stringify(SPEC_EXAMPLE) });
    assert.deepEqual([health.status, ready.status, booking.status], [200, 200, 201]);
  });
});
