/** Real socket.io-client connections, and waiting on their events (never on the clock). */
import { io, type Socket } from 'socket.io-client';
import { SeatMapClient } from '../../src/client/seatMapClient.ts';
import { query } from './api.ts';

export const NAMESPACES = ['/', '/flights'] as const;

/** Everything a socket received, in order. */
export interface RecordedSocket {
  socket: Socket;
  events: { name: string; payload: any }[];
  /** seats_updated received for one flight. */
  updates(flightNumber: string, date: string): any[];
  close(): void;
}

/** `auth`: the handshake's auth (`{ token }` signs the socket in with AUTH_MODE=jwt). */
export async function connectSocket(baseUrl: string, namespace: string = '/', auth?: { token: string }): Promise<RecordedSocket> {
  const socket = io(`${baseUrl}${namespace === '/' ? '' : namespace}`, { transports: ['websocket'], reconnection: false, ...(auth ? { auth } : {}) });
  const events: { name: string; payload: any }[] = [];
  socket.onAny((name: string, payload: unknown) => events.push({ name, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return {
    socket,
    events,
    updates: (flightNumber, date) => events
      .filter((e) => e.name === 'seats_updated' && e.payload.flightNumber === flightNumber && e.payload.date === date)
      .map((e) => e.payload),
    close: () => { socket.close(); },
  };
}

/** Resolves with the first `name` event (already received or future) that matches. */
export function waitForEvent(recorded: RecordedSocket, name: string, match: (payload: any) => boolean = () => true,
  timeoutMs = 10_000): Promise<any> {
  const seen = recorded.events.find((e) => e.name === name && match(e.payload));
  if (seen) return Promise.resolve(seen.payload);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      recorded.socket.off(name, listener);
      reject(new Error(`no matching ${name} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: any) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      recorded.socket.off(name, listener);
      resolve(payload);
    };
    recorded.socket.on(name, listener);
  });
}

export async function subscribe(recorded: RecordedSocket, flightNumber: string, date: string): Promise<any> {
  return recorded.socket.emitWithAck('subscribe', { flightNumber, date });
}

/**
 * A marker flight whose change proves a socket is up to date: notifications are relayed in commit
 * order and a socket receives in order, so once the marker's update arrives, every update committed
 * before it has arrived too. Subscribe to MARKER first, then call `passMarker` after the action.
 */
export const MARKER = { flightNumber: 'BKJT345', date: '15/04/2025', isoDate: '2025-04-15' };

export async function passMarker(databaseUrl: string, sockets: RecordedSocket[]): Promise<void> {
  const [{ version }] = await query(databaseUrl, `
    with touched as (
      update seats set user_id = user_id
       where seat_number = 2 and flight_id = (select id from flights where flight_number = $1 and flight_date = $2)
      returning flight_id)
    select seats_version + 1 as version from flights where id = (select flight_id from touched)`,
  [MARKER.flightNumber, MARKER.isoDate]);
  await Promise.all(sockets.map((s) => waitForEvent(s, 'seats_updated',
    (p) => p.flightNumber === MARKER.flightNumber && p.version >= Number(version))));
}

/** Resolves when `condition` holds, re-checked on every change the clients see. */
export function untilClients(clients: SeatMapClient[], condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const c of clients) c.off('change', check);
      if (error) reject(error);
      else resolve();
    };
    const check = async () => {
      if (settled) return;
      try {
        if (await condition()) finish();
      } catch (e) {
        // A check still running when another one settled may find the database already gone: ignored.
        finish(e as Error);
      }
    };
    const timer = setTimeout(() => finish(new Error(`condition not reached within ${timeoutMs} ms`)), timeoutMs);
    for (const c of clients) c.on('change', check);
    void check();
  });
}

/** The database's free and held seats of a flight, as the views hold them. */
export async function databaseSeatMap(databaseUrl: string, flightNumber: string, isoDate: string) {
  const [row] = await query(databaseUrl, `select available_seats(id) as seats, held_seats(id) as held,
    seats_version::int as version from flights where flight_number = $1 and flight_date = $2`, [flightNumber, isoDate]);
  return { availableSeats: row.seats as number[], heldSeats: row.held as number[], version: row.version as number };
}

/** The next `name` event of a socket.io-client socket (which is not a node EventEmitter). */
export function nextSocketEvent(socket: { once(name: string, listener: (...args: any[]) => void): unknown }, name: string): Promise<unknown> {
  return new Promise((resolve) => { socket.once(name, resolve); });
}

/** True when every client's view of every flight equals the database (seats and version). */
export async function allMatchDatabase(url: string, clients: SeatMapClient[], flights: readonly (readonly [string, string, string])[]) {
  for (const [flightNumber, date, isoDate] of flights) {
    const truth = await databaseSeatMap(url, flightNumber, isoDate);
    for (const client of clients) {
      const view = client.seatMaps.get(SeatMapClient.key(flightNumber, date));
      if (!view || view.version !== truth.version || view.availableSeats.join() !== truth.availableSeats.join()
        || view.heldSeats.join() !== truth.heldSeats.join()) return false;
    }
  }
  return true;
}
