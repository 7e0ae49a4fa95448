/**
 * The edges of the HTTP surface: probes, unknown routes, wrong methods, bodies that are too large or not
 * JSON, CORS, and unexpected failures that must not leak. Real HTTP, real PostgreSQL; every response
 * that an operation documents is checked against the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../src/log.ts';
import { SPEC_EXAMPLE, query, startApi } from './helpers/api.ts';
import { callApi } from './helpers/contract.ts';
import { freshApiPerTest } from './helpers/setup.ts';

const t = freshApiPerTest();
const UNREACHABLE = 'postgres://nobody:nothing@127.0.0.1:1/none';
const A_BOOKING = '00000000-0000-4000-8000-000000000000';

describe('/healthz and /readyz', () => {
  it('/healthz: alive', async () => {
    const { status, body } = await callApi(t.api.url, 'GET', '/healthz');
    assert.deepEqual([status, body], [200, { status: 'ok' }]);
  });

  it('/readyz: ready when the database answers and no listener probe says otherwise', async () => {
    const { status, body } = await callApi(t.api.url, 'GET', '/readyz');
    assert.deepEqual([status, body], [200, { status: 'ready', checks: { database: 'up', listener: 'connected' } }]);
  });

  it('/readyz: 503 with Retry-After while the database is unreachable; /healthz stays 200', async () => {
    const api = await startApi(UNREACHABLE);
    try {
      const ready = await callApi(api.url, 'GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.error, 'service_unavailable');
      assert.deepEqual(ready.body.checks, { database: 'down', listener: 'disconnected' });
      assert.ok(Number(ready.headers.get('retry-after')) > 0);
      assert.equal((await callApi(api.url, 'GET', '/healthz')).status, 200);
    } finally {
      await api.close();
    }
  });

  it('/readyz: 503 while the seat-change listener is not connected', async () => {
    const api = await startApi(t.databaseUrl);
    try {
      assert.equal((await callApi(api.url, 'GET', '/readyz')).status, 200);
      await api.listener.close();
      const down = await callApi(api.url, 'GET', '/readyz');
      assert.equal(down.status, 503);
      assert.deepEqual(down.body.checks, { database: 'up', listener: 'disconnected' });
      assert.equal(down.body.message, 'Not ready: the seat-change listener is not connected');
    } finally {
      await api.close();
    }
  });

  it('HEAD answers like GET, without a body', async () => {
    const response = await fetch(`${t.api.url}/healthz`, { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '');
  });
});

describe('unknown routes and wrong methods', () => {
  for (const path of ['/api/nothing-here', '/nothing', '/api/flight/booking/x/y', '/api/users/1', '/api//flights']) {
    it(`404 not_found for GET ${path}`, async () => {
      const { status, body } = await callApi(t.api.url, 'GET', path);
      assert.equal(status, 404);
      assert.deepEqual(body, { error: 'not_found', message: `No route for GET ${path}` });
    });
  }

  const wrongMethods: [string, string, string][] = [
    ['GET', '/api/flight/booking', 'POST'],
    ['PUT', '/api/flight/booking', 'POST'],
    ['DELETE', '/api/flights', 'POST, GET, HEAD'],
    ['DELETE', '/api/flights/seats', 'GET, HEAD'],
    ['PATCH', `/api/bookings/${A_BOOKING}`, 'GET, HEAD'],
    ['GET', `/api/flight/booking/${A_BOOKING}`, 'DELETE'],
    ['POST', '/api/users/1/itineraries', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['OPTIONS', '/readyz', 'GET, HEAD'],
    ['POST', '/openapi.json', 'GET, HEAD'],
  ];
  for (const [method, path, allow] of wrongMethods) {
    it(`405 method_not_allowed for ${method} ${path}, Allow: ${allow}`, async () => {
      const { status, headers, body } = await callApi(t.api.url, method, path);
      assert.equal(status, 405);
      assert.equal(headers.get('allow'), allow);
      assert.equal(body.error, 'method_not_allowed');
    });
  }
});

describe('bodies', () => {
  it('413 payload_too_large for a booking over 16 kB, even with an idempotency key', async () => {
    const { status, body } = await callApi(t.api.url, 'POST', '/api/flight/booking', {
      body: { ...SPEC_EXAMPLE, padding: 'x'.repeat(17 * 1024) }, headers: { 'idempotency-key': 'big' },
    });
    assert.deepEqual([status, body.error], [413, 'payload_too_large']);
    assert.deepEqual(await query(t.databaseUrl, 'select key from idempotency_keys'), []);
  });

  it('a body sent with a DELETE is not read: the operation takes none', async () => {
    const { status, body } = await callApi(t.api.url, 'DELETE', `/api/flight/booking/${A_BOOKING}`, { body: '{not json' });
    assert.deepEqual([status, body.error], [404, 'booking_not_found']);
  });

  for (const [what, contentType] of [['a non-UTF-8 charset', 'application/json; charset=latin1'], ['no JSON type', 'text/csv']] as const) {
    it(`415 unsupported_media_type for ${what}`, async () => {
      const { status, body } = await callApi(t.api.url, 'POST', '/api/flight/booking', {
        body: JSON.stringify(SPEC_EXAMPLE), headers: { 'content-type': contentType },
      });
      assert.deepEqual([status, body.error], [415, 'unsupported_media_type']);
    });
  }

  it('415 for a booking without any body or content type', async () => {
    const { status } = await callApi(t.api.url, 'POST', '/api/flight/booking');
    assert.equal(status, 415);
  });
});

describe('CORS', () => {
  const ALLOWED = 'https://app.example.com';

  it('by default no origin is allowed: no CORS headers at all', async () => {
    const response = await fetch(`${t.api.url}/api/flights`, { headers: { origin: ALLOWED } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
  });

  it('a configured origin is allowed, with the booking headers; other origins are not', async () => {
    const api = await startApi(t.databaseUrl, { corsOrigins: [ALLOWED, 'http://localhost:5173'] });
    try {
      const simple = await fetch(`${api.url}/api/flights`, { headers: { origin: ALLOWED } });
      assert.equal(simple.headers.get('access-control-allow-origin'), ALLOWED);
      assert.match(simple.headers.get('access-control-expose-headers') ?? '', /Idempotent-Replayed/);
      assert.match(simple.headers.get('vary') ?? '', /Origin/);

      const preflight = await fetch(`${api.url}/api/flight/booking`, {
        method: 'OPTIONS',
        headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key' },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), ALLOWED);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Idempotency-Key/);

      const stranger = await fetch(`${api.url}/api/flights`, { headers: { origin: 'https://evil.example.net' } });
      assert.equal(stranger.headers.get('access-control-allow-origin'), null);
    } finally {
      await api.close();
    }
  });

  it('a rate-limited booking (429) still carries the CORS headers, so the page can read why', async () => {
    const api = await startApi(t.databaseUrl, { corsOrigins: [ALLOWED], bookingsPerMinute: 1 });
    try {
      const headers = { 'content-type': 'application/json', origin: ALLOWED };
      const body = JSON.stringify({ ...SPEC_EXAMPLE, outboundSeat: 99 }); // a 400: the limiter counts it, nothing is booked
      const first = await fetch(`${api.url}/api/flight/booking`, { method: 'POST', headers, body });
      assert.equal(first.status, 400);
      const limited = await fetch(`${api.url}/api/flight/booking`, { method: 'POST', headers, body });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('access-control-allow-origin'), ALLOWED);
      assert.match(limited.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
      assert.equal((await limited.json()).error, 'rate_limited');
    } finally {
      await api.close();
    }
  });
});

describe('failures that are our fault', () => {
  it('a 500 says nothing about the SQL or the code; the cause is logged instead', async () => {
    const lines: Record<string, any>[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => { lines.push(JSON.parse(line)); } } });
    const api = await startApi(t.databaseUrl, {}, { logger });
    try {
      await query(t.databaseUrl, 'drop view itineraries'); // every booking read now fails inside PostgreSQL
      const response = await fetch(`${api.url}/api/bookings/${A_BOOKING}`); // a 500 is in no contract
      assert.equal(response.status, 500);
      assert.deepEqual(await response.json(), { error: 'internal_error', message: 'Something went wrong on our side' });
      const logged = lines.filter((l) => l.msg === 'unexpected error');
      assert.equal(logged.length, 1);
      assert.match(JSON.stringify(logged[0]!.err), /itineraries/);
      assert.equal(logged[0]!.req?.id ?? logged[0]!.reqId, response.headers.get('x-request-id'));
    } finally {
      await api.close();
    }
  });
});
