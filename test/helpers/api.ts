/** Test helpers around a real API server and real database connections. */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { readNotificationKey } from '../../src/provision/notificationKey.ts';
import { apiRoleUrl } from '../../src/provision/apiRole.ts';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server.ts';
import { assertMatchesContract } from './contract.ts';

export const SPEC_EXAMPLE = {
  outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', outboundSeat: 5,
  inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025', inboundSeat: 3, userId: 1,
} as const;

/**
 * The SPEC example's legs as the API answers them: the CSV flights fly the LAX-SFO shuttle (odd flight
 * numbers north, even ones south) at 09:00-10:25 Pacific time (src/seed/loader.ts).
 */
export const SPEC_OUTBOUND_LEG = {
  flightNumber: 'BKJT123', date: '07/04/2025', seat: 5, origin: 'LAX', destination: 'SFO',
  departureTime: '2025-04-07T09:00:00-07:00', arrivalTime: '2025-04-07T10:25:00-07:00',
} as const;
export const SPEC_INBOUND_LEG = {
  flightNumber: 'BKJT234', date: '08/04/2025', seat: 3, origin: 'SFO', destination: 'LAX',
  departureTime: '2025-04-08T09:00:00-07:00', arrivalTime: '2025-04-08T10:25:00-07:00',
} as const;

/** The test databases' password for the API role (sql/privileges.sql), created by the test cluster. */
export const TEST_API_PASSWORD = 'blackjet_api';

/** The API connects as the restricted role, as in production; `databaseUrl` is the owner's. */
export function asApiRole(databaseUrl: string): string {
  return apiRoleUrl(databaseUrl, TEST_API_PASSWORD);
}

/**
 * An API on the database, as the restricted role. Identity is off (`auth: { mode: 'none' }`, the open
 * contract of the spec) unless `options.auth` says otherwise: the tests of the open contract use it as is,
 * the identity tests (auth-*.test.ts) pass a jwt configuration.
 */
export async function startApi(databaseUrl: string, app?: ServerOptions['app'],
  options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  // As npm start does: the signing key through the owner's connection. A database that cannot be reached
  // (the outage tests) sends no notification at all, so any key will do there.
  const notificationKey = await readNotificationKey(databaseUrl).catch(() => randomBytes(32));
  return startServer({ databaseUrl: asApiRole(databaseUrl), notificationKey, port: 0, host: '127.0.0.1', app, auth: { mode: 'none' }, ...options });
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function postBooking(baseUrl: string, body: unknown, init: RequestInit = {}): Promise<JsonResponse<any>> {
  const response = await fetch(`${baseUrl}/api/flight/booking`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
  const text = await response.text();
  const result = { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  assertMatchesContract('POST', '/api/flight/booking', result);
  return result;
}

/** Runs a query on a short-lived connection. */
export async function query<T extends pg.QueryResultRow = any>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  // A connection ended by the server (a test dropping its database while a check still runs) must fail this
  // call through its promise, not crash the test process as an unhandled 'error' event.
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Runs a statement that must fail, and returns the error PostgreSQL raised. */
export async function sqlError(url: string, text: string, values: unknown[] = []): Promise<pg.DatabaseError> {
  try {
    await query(url, text, values);
  } catch (e) {
    return e as pg.DatabaseError;
  }
  throw new Error('expected the statement to fail');
}

/** Seats taken on a flight, ascending. */
export async function takenSeats(url: string, flightNumber: string, isoDate: string): Promise<number[]> {
  const rows = await query<{ seat_number: number }>(url,
    `select s.seat_number from seats s join flights f on f.id = s.flight_id
      where f.flight_number = $1 and f.flight_date = $2 order by 1`, [flightNumber, isoDate]);
  return rows.map((r) => r.seat_number);
}

/**
 * A plain LISTEN client on `seats_updated`. `drain()` sends a marker notification and resolves with
 * everything received before it: NOTIFY is delivered in commit order, so the marker arrives after every
 * notification of transactions that committed before it. No sleeps.
 */
export async function listenForSeatChanges(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('listen seats_updated');
  let received: any[] = [];
  let markerSeen: (() => void) | undefined;
  client.on('notification', (n) => {
    if (n.payload === 'test-marker') markerSeen?.();
    else received.push(JSON.parse(n.payload ?? 'null'));
  });
  return {
    async drain(): Promise<any[]> {
      const seen = new Promise<void>((resolve) => { markerSeen = resolve; });
      await query(url, "select pg_notify('seats_updated', 'test-marker')");
      await seen;
      const out = received;
      received = [];
      return out;
    },
    close: () => client.end(),
  };
}
