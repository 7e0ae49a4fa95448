/**
 * Running it like production: request ids and logs, /metrics against a known run, the restricted
 * database role, abuse limits and security headers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PROJECT_ROOT } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import type { RunningServer } from '../src/server.ts';
import { SPEC_EXAMPLE, asApiRole, postBooking, query, startApi } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { callApi } from './helpers/contract.ts';
import { MARKER, connectSocket, passMarker, subscribe } from './helpers/sockets.ts';

let cluster: TestCluster;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });

/** An API whose log lines are kept, parsed, in `lines`. */
async function loggedApi(url: string, options: Parameters<typeof startApi>[2] = {}, app: Parameters<typeof startApi>[1] = {}) {
  const lines: Record<string, any>[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => { lines.push(JSON.parse(line)); } } });
  const api = await startApi(url, app, { logger, ...options });
  return { api, lines };
}

/** One sample of a Prometheus text exposition, e.g. sample(text, 'x_total', { outcome: 'confirmed' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
  const line = text.split('\n').find((l) => l.startsWith(wanted ? `${name}{${wanted}}` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('request ids and logs', () => {
  let api: RunningServer;
  let lines: Record<string, any>[];
  let url: string;
  before(async () => {
    url = await cluster.freshDatabase();
    ({ api, lines } = await loggedApi(url));
  });
  after(async () => { await api.close(); });

  it('returns the caller\'s X-Request-Id, or a new one, on every response', async () => {
    const given = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': 'trace-42.a' } });
    assert.equal(given.headers.get('x-request-id'), 'trace-42.a');
    const made = await fetch(`${api.url}/api/flights`);
    assert.match(made.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
    const unsafe = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': 'x'.repeat(300) } });
    assert.match(unsafe.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/, 'an oversized id is replaced');
  });

  it('one log line per booking attempt, with outcome, flights, seats, latency and the request id', async () => {
    lines.length = 0;
    const attempts: [unknown, string][] = [
      [SPEC_EXAMPLE, 'confirmed'], [SPEC_EXAMPLE, 'seat_unavailable'],
      [{ ...SPEC_EXAMPLE, userId: 4242, outboundSeat: 1 }, 'not_found'], [{ ...SPEC_EXAMPLE, outboundSeat: 9 }, 'invalid'], ['{oops', 'invalid'],
    ];
    for (const [body, outcome] of attempts) {
      const response = await postBooking(api.url, body, { headers: { 'content-type': 'application/json', 'x-request-id': `attempt-${outcome}-${lines.length}` } });
      const logged = lines.filter((l) => l.msg === 'booking attempt');
      const last = logged.at(-1)!;
      assert.equal(last.booking.outcome, outcome);
      assert.equal(last.booking.status, response.status);
      assert.equal(typeof last.booking.latencyMs, 'number');
      assert.equal(last.reqId ?? last.req?.id, response.headers.get('x-request-id'));
    }
    const bookingLines = lines.filter((l) => l.msg === 'booking attempt');
    assert.equal(bookingLines.length, attempts.length, 'exactly one line per attempt');
    assert.deepEqual(bookingLines[0]!.booking.outbound, { flightNumber: 'BKJT123', date: '07/04/2025', seat: '5' });
    assert.equal(bookingLines[1]!.booking.conflictLeg, 'outbound');
    // Ids, never names: nothing about the user but the id; no request bodies, no connection strings.
    const text = JSON.stringify(lines);
    assert.doesNotMatch(text, /Thompson|Emma|postgres:\/\/|password/i);
  });
});

describe('/metrics', () => {
  it('counts a known run', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApi(url);
    const watchers = [await connectSocket(api.url), await connectSocket(api.url, '/flights')];
    try {
      for (const w of watchers) {
        for (const [f, d] of [[MARKER.flightNumber, MARKER.date], ['BKJT123', '07/04/2025']]) assert.equal((await subscribe(w, f!, d!)).error, undefined);
      }
      // 2 confirmed (4 seat changes), 3 seat conflicts (2 outbound, 1 inbound), 1 not found, 2 invalid.
      const outcomes = await Promise.all([
        postBooking(api.url, SPEC_EXAMPLE),
        postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat: 6, inboundSeat: 4 }),
      ]).then(async (first) => [...first, ...await Promise.all([
        postBooking(api.url, SPEC_EXAMPLE),
        postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat: 3, inboundSeat: 7 }),
        postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat: 1, inboundSeat: 6 }),
        postBooking(api.url, { ...SPEC_EXAMPLE, userId: 999, outboundSeat: 2 }),
        postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat: 0 }),
        postBooking(api.url, '[]'),
      ])]);
      assert.deepEqual(outcomes.map((r) => r.status), [201, 201, 409, 409, 409, 404, 400, 400]);
      await passMarker(url, watchers);

      const response = await fetch(`${api.url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type')!, /text\/plain/);
      const text = await response.text();
      const attempts = (outcome: string) => sample(text, 'blackjet_booking_attempts_total', { outcome });
      assert.deepEqual(['confirmed', 'seat_unavailable', 'not_found', 'invalid'].map(attempts), [2, 3, 1, 2]);
      assert.equal(sample(text, 'blackjet_booking_duration_seconds_count', { outcome: 'confirmed' }), 2);
      assert.equal(sample(text, 'blackjet_seat_conflicts_total', { leg: 'outbound' }), 2);
      assert.equal(sample(text, 'blackjet_seat_conflicts_total', { leg: 'inbound' }), 1);
      assert.equal(sample(text, 'blackjet_notifications_relayed_total'), 4 + 1, 'two flights per booking, and the marker');
      assert.equal(sample(text, 'blackjet_relay_lag_seconds_count'), 5);
      assert.equal(sample(text, 'blackjet_websocket_connections'), 1, 'both namespaces share one connection');
      assert.equal(sample(text, 'blackjet_websocket_subscriptions'), 4);
      assert.equal(sample(text, 'blackjet_listener_reconnects_total'), 0);
      // PostgreSQL's figure is cluster-wide, and the test cluster is shared: others' notifications may be in
      // flight. Present, and far from full (the queue is 8 GB).
      const queueUsage = sample(text, 'blackjet_notification_queue_usage');
      assert.ok(queueUsage !== undefined && queueUsage >= 0 && queueUsage < 0.01, `queue usage ${queueUsage}`);
      assert.ok(sample(text, 'blackjet_db_pool_connections')! >= 1, 'refused bookings keep their connection');
      assert.ok(sample(text, 'blackjet_process_resident_memory_bytes')! > 0, 'process defaults');
      assert.doesNotMatch(text, /BKJT|flight_number|user_id/, 'no unbounded label values');
    } finally {
      for (const w of watchers) w.close();
      await api.close();
    }
  });
});

describe('the restricted database role', () => {
  it('runs every API operation, but cannot write or read beyond what it serves', async () => {
    const url = await cluster.freshDatabase();
    const client = new pg.Client({ connectionString: asApiRole(url) });
    await client.connect();
    const refused = async (text: string) => {
      await assert.rejects(client.query(text), (e: { code?: string }) => e.code === '42501', text);
    };
    try {
      const [{ current_user: role }] = (await client.query('select current_user')).rows;
      assert.equal(role, 'blackjet_api');
      await refused(`insert into seats (flight_id, seat_number, user_id) select id, 1, 1 from flights where flight_number = 'BKJT123' and flight_date = '2025-04-07'`);
      await refused('delete from seats');
      await refused('update flights set seats_version = 0');
      await refused(`update bookings set status = 'cancelled'`);
      await refused('select first_name from users');
      await refused('select * from idempotency_keys');
      await refused(`select grant_api_privileges('blackjet_api')`);
      await refused('create table mine (x int)');
      // What it may do, it does: book through the function (which writes as its owner), read, notify.
      const { rows } = await client.query(`select status from book_round_trip(outbound_flight_number => 'BKJT123',
        outbound_date => '2025-04-07', outbound_seat => 5, inbound_flight_number => 'BKJT234', inbound_date => '2025-04-08',
        inbound_seat => 3, user_id => 1)`);
      assert.deepEqual(rows, [{ status: 'confirmed' }]);
      assert.equal((await client.query('select count(*)::int as n from itineraries')).rows[0].n, 1);
      await client.query(`select pg_notify('booking_results', '{}')`);
    } finally {
      await client.end();
    }
    assert.deepEqual(await query(url, 'select count(*)::int as n from bookings'), [{ n: 1 }], 'the owner sees the booking');
  });
});

describe('abuse limits and headers', () => {
  it('rate-limits bookings per client: 429 rate_limited with Retry-After', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApi(url, { bookingsPerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (const [outboundSeat, inboundSeat] of [[1, 2], [2, 4], [5, 5], [6, 7]]) {
        statuses.push((await postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat, inboundSeat })).status);
      }
      assert.deepEqual(statuses, [201, 201, 201, 429]);
      const limited = await callApi(api.url, 'POST', '/api/flight/booking', { body: { ...SPEC_EXAMPLE, outboundSeat: 7 } });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error, 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.equal((await fetch(`${api.url}/api/flights`)).status, 200, 'reads are not limited');
    } finally {
      await api.close();
    }
  });

  it('caps WebSocket connections per client IP', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApi(url, {}, { maxConnectionsPerIp: 2 });
    const open = [await connectSocket(api.url), await connectSocket(api.url)];
    try {
      await assert.rejects(connectSocket(api.url));
      open.pop()!.close();
      await new Promise<void>((resolve) => { const check = () => (api.gateway.counts().sockets < 2 ? resolve() : setImmediate(check)); check(); });
      const again = await connectSocket(api.url);
      open.push(again);
      assert.ok(again.socket.connected);
    } finally {
      for (const s of open) s.close();
      await api.close();
    }
  });

  it('sends security headers', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApi(url);
    try {
      const response = await fetch(`${api.url}/api/flights`);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(response.headers.get('content-security-policy'));
      // /docs opened by IP over plain http must not have its scripts upgraded to an https that is not there.
      assert.doesNotMatch(response.headers.get('content-security-policy')!, /upgrade-insecure-requests/);
      assert.ok(response.headers.get('strict-transport-security'));
      assert.equal(response.headers.get('x-powered-by'), null);
      // helmet's full set, on every kind of answer (the headers are worked out once at start: app.ts).
      const expected = {
        'content-security-policy': "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';" +
          "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' 'unsafe-inline'",
        'cross-origin-opener-policy': 'same-origin', 'cross-origin-resource-policy': 'same-origin', 'origin-agent-cluster': '?1',
        'referrer-policy': 'no-referrer', 'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-content-type-options': 'nosniff', 'x-dns-prefetch-control': 'off', 'x-download-options': 'noopen',
        'x-frame-options': 'SAMEORIGIN', 'x-permitted-cross-domain-policies': 'none', 'x-xss-protection': '0',
      };
      for (const answer of [response, await fetch(`${api.url}/nowhere`), await fetch(`${api.url}/api/flight/booking`, { method: 'POST' })]) {
        await answer.body?.cancel();
        assert.deepEqual(Object.fromEntries(Object.keys(expected).map((name) => [name, answer.headers.get(name)])), expected);
      }
      assert.equal((await fetch(`${api.url}/docs/`)).status, 200, 'Swagger UI still served');
    } finally {
      await api.close();
    }
  });
});

describe('configuration errors at start', () => {
  const start = (env: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    // A data dir of its own: were the check to come too late, the embedded database would start and say so.
    cwd: PROJECT_ROOT, env: { ...process.env, BLACKJET_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'blackjet-config-')), ...env },
    encoding: 'utf8', timeout: 120_000,
  });
  const bad = [['PORT', 'abc'], ['DATABASE_URL', 'mysql://db/blackjet'], ['LOG_LEVEL', 'bogus'], ['TRUST_PROXY', 'maybe']] as const;
  for (const [name, value] of bad) {
    it(`npm start with ${name}=${value} stops at once with one line naming ${name}`, () => {
      const run = start({ [name]: value });
      assert.equal(run.status, 1);
      assert.match(run.stderr, new RegExp(`^blackjet: ${name}[^\\n]*\\n$`), run.stderr);
      assert.equal(run.stdout, '', 'nothing started');
    });
  }

  it('a busy HTTP port names the port and the variable to set, before the database starts', async () => {
    const busy = createNetServer();
    await new Promise<void>((resolve) => busy.listen(0, resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const run = start({ PORT: String(port) });
      assert.equal(run.status, 1);
      assert.equal(run.stderr, `blackjet: PORT=${port} is already in use: stop what listens there, or set PORT to a free port\n`);
      assert.equal(run.stdout, '', 'nothing started');
    } finally {
      busy.close();
    }
  });
});
