/**
 * The Socket.IO side of the relay. Clients `subscribe` to flights on the default namespace or on
 * `/flights`; each flight is a room in both. Every checked notification from this process's listener is
 * emitted to that flight's room in both namespaces: N instances each relay to their own sockets, and
 * PostgreSQL is the only thing they share.
 *
 * Never older than the database: a subscriber gets its snapshot and joins the room in one synchronous
 * step, after the snapshot was read. A change relayed while the read was in flight is newer than the
 * read, so the snapshot is taken from the freshest state this process has relayed for that flight when
 * its version is higher. Versions only grow, so later `seats_updated` are always newer than the snapshot.
 * After the listener reconnects, every watched flight gets a fresh `seats_snapshot` from the tables.
 *
 * Abuse bounds: a socket's subscriptions count from the moment it asks (a burst of `subscribe` cannot
 * overshoot the cap while snapshot reads are pending), snapshot reads are queued, batched and coalesced
 * per flight (snapshots.ts), and the per-flight caches are lru-cache: O(1) per operation, bounded, with
 * expiry checked on access rather than by rescanning.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { LRUCache } from 'lru-cache';
import { Server, type Namespace, type Socket } from 'socket.io';
import { InvalidToken, type Tokens } from '../auth/tokens.ts';
import { wireDateToIso } from '../domain/dates.ts';
import type { Db } from '../db/client.ts';
import { log as processLog, type Logger } from '../log.ts';
import { readSeatMaps, type FlightKey, type SeatMap } from '../db/seatMaps.ts';
import { clientIp, type TrustFunction } from '../auth/clientIp.ts';
import {
  checkFlightRef, checkUserRef, NAMESPACES, type FlightRef, type RelayStatus, type SeatsSnapshot, type SeatsUpdated,
  type SocketError, type UnsubscribeAck,
} from './events.ts';
import type { SeatChangeListener } from './listener.ts';
import { DEFAULT_SNAPSHOT_READS, SnapshotQueueFull, SnapshotReader, type SnapshotReaderOptions } from './snapshots.ts';

export interface GatewayOptions {
  db: Db;
  listener: SeatChangeListener;
  /** How many flights one socket may watch at once. */
  maxSubscriptionsPerSocket: number;
  /** How many Socket.IO connections one client IP may hold on this instance; 0: no limit. */
  maxConnectionsPerIp?: number;
  /** Which proxies to trust for the client IP, as the REST side (clientIp.ts). Default: none. */
  trust?: TrustFunction;
  /** Bounds of the snapshot reads of this instance. */
  snapshotReads?: SnapshotReaderOptions;
  /**
   * Origins whose pages may connect (CORS_ORIGINS). A handshake with an `Origin` header not in the list is
   * refused, on every transport; clients that send no Origin (not browsers) are not affected.
   */
  corsOrigins?: string[];
  /**
   * AUTH_MODE=jwt: a handshake may carry `auth: { token }`; a bad one is refused, none is anonymous (seat
   * maps are public), and booking results go only to sockets of the booking's user. Unset: AUTH_MODE=none.
   */
  tokens?: Tokens;
  logger?: Logger;
}

type Ack = (reply: SeatsSnapshot | SocketError | UnsubscribeAck) => void;
/** `flights`: joined rooms; `asking`: rooms whose snapshot is being read. Both count against the cap. */
interface SocketData { flights: Set<string>; asking?: Set<string>; userId?: number }

const ROOM_PREFIX = 'flight:';
/** A user's own notifications (booking_cancelled, flight_times_changed) go to this room. */
export const userRoom = (userId: number) => `user:${userId}`;
const roomOf = (flightNumber: string, date: string) => `${ROOM_PREFIX}${flightNumber}:${date}`;
const RESYNC_BATCH = 500;
/** How long a dropped socket may come back with its rooms and missed events (connection state recovery). */
const RECOVERY_MS = 2 * 60_000;
const RESYNC_ATTEMPTS = 5;
/** Flights whose last relayed change is kept (for the freshest snapshot), and rooms kept recoverable. */
const LATEST_CAPACITY = 10_000;
const RECOVERABLE_CAPACITY = 200_000;
const NO_TRUST: TrustFunction = () => false;

export class SeatGateway {
  readonly io: Server;
  private readonly namespaces: Namespace[];
  /** The last change relayed per flight, for the most recently changed flights. */
  private readonly latest = new LRUCache<string, SeatsUpdated>({ max: LATEST_CAPACITY });
  private readonly logger: Logger;
  private readonly connectionsByIp = new Map<string, number>();
  /**
   * Rooms that a dropped socket may still come back to; each entry expires RECOVERY_MS after its last drop.
   * Bounded by size (one per room) rather than `max`: with `max` the cache allocates all its slots up front,
   * 50 ms of CPU per instance for 200,000 rooms that are rarely there; this way it grows as rooms come.
   */
  private readonly recoverable = new LRUCache<string, true>({
    maxSize: RECOVERABLE_CAPACITY, sizeCalculation: () => 1, ttl: RECOVERY_MS,
  });
  readonly snapshots: SnapshotReader;

  /** Built before the HTTP server it serves (whose metrics read counts()); `attach` connects the two. */
  constructor(private readonly options: GatewayOptions) {
    this.logger = options.logger ?? processLog;
    this.snapshots = new SnapshotReader(options.db, options.snapshotReads ?? DEFAULT_SNAPSHOT_READS);
    this.io = new Server({
      serveClient: true, // /socket.io/socket.io.js (and .min.js, .esm.min.js) for the page at / and any other
      // Polling is plain HTTP: a page on another origin needs CORS headers to read its answers.
      cors: options.corsOrigins?.length ? { origin: options.corsOrigins, methods: ['GET', 'POST'] } : undefined,
      perMessageDeflate: false, // costs a lot of memory per socket; seat maps are tiny anyway
      maxHttpBufferSize: 16 * 1024, // the largest message a client may send
      allowRequest: (req, callback) => callback(null, this.admits(req)),
      // Polling is plain HTTP: an allowed origin's page needs CORS headers to read it. WebSocket has no CORS.
      ...(options.corsOrigins?.length ? { cors: { origin: options.corsOrigins } } : {}),
      // Short blips: the same process restores the socket's id, rooms and missed events. Anything else:
      // the client re-subscribes and gets a snapshot (see README).
      connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_MS, skipMiddlewares: true },
    });
    this.namespaces = NAMESPACES.map((name) => this.io.of(name));
    for (const namespace of this.namespaces) {
      if (options.tokens) namespace.use((socket, next) => void this.identify(socket, options.tokens!).then(() => next(), next));
      namespace.on('connection', (socket) => this.onConnection(socket));
    }

    options.listener.on('seats', (change) => this.relay(change));
    options.listener.on('disconnected', () => this.broadcastRelayStatus(false));
    options.listener.on('resync', () => void this.resyncAll().finally(() => this.broadcastRelayStatus(true)));
    options.listener.on('userNotification', ({ userId, event, payload }) => {
      for (const namespace of this.namespaces) namespace.to(userRoom(userId)).emit(event, payload);
    });
    options.listener.on('bookingResult', ({ socketId, userId, event, payload }) => {
      for (const namespace of this.namespaces) {
        const socket = namespace.sockets.get(socketId);
        // With tokens, a socket id is not enough: the socket must be signed in as the booking's user.
        if (socket && (!options.tokens || (socket.data as SocketData).userId === userId)) socket.emit(event, payload);
      }
    });
  }

  /** Serves Socket.IO on the HTTP server (its default path), counting connections per client IP. */
  attach(httpServer: HttpServer): void {
    this.io.attach(httpServer);
    this.io.engine.on('connection', (connection: { request: IncomingMessage; once(event: 'close', fn: () => void): void }) => {
      const ip = this.clientIp(connection.request);
      this.connectionsByIp.set(ip, (this.connectionsByIp.get(ip) ?? 0) + 1);
      connection.once('close', () => {
        const left = (this.connectionsByIp.get(ip) ?? 1) - 1;
        if (left > 0) this.connectionsByIp.set(ip, left);
        else this.connectionsByIp.delete(ip);
      });
    });
  }

  /** Connections (one per client, whatever its namespaces) and flight subscriptions on this instance. */
  counts(): { sockets: number; subscriptions: number } {
    let subscriptions = 0;
    for (const namespace of this.namespaces) {
      for (const socket of namespace.sockets.values()) subscriptions += (socket.data as SocketData).flights?.size ?? 0;
    }
    return { sockets: this.io.engine?.clientsCount ?? 0, subscriptions };
  }

  /**
   * Tells every client why it is being disconnected (`server_shutdown`: reconnect, to another instance
   * if need be), then closes every connection.
   */
  close(reason = 'server shutting down'): Promise<void> {
    for (const namespace of this.namespaces) namespace.emit('server_shutdown', { reason, reconnect: true });
    return this.io.close();
  }

  private clientIp(req: IncomingMessage): string {
    return clientIp(req, this.options.trust ?? NO_TRUST);
  }

  /** The handshake's token, if any, names the socket's user; a bad one refuses the connection. */
  private async identify(socket: Socket, tokens: Tokens): Promise<void> {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (token === undefined || token === null || token === '') return;
    try {
      if (typeof token !== 'string') throw new InvalidToken('auth.token must be a string');
      (socket.data as SocketData).userId = (await tokens.verify(token)).userId;
    } catch (e) {
      const message = e instanceof InvalidToken ? e.message : 'The access token could not be checked, please retry';
      throw Object.assign(new Error(message), { data: { error: 'unauthorized', message } });
    }
  }

  /**
   * The handshake checks, on every transport: the origin, then the per-IP connection limit. A refused
   * client gets a connect_error.
   */
  private admits(req: IncomingMessage): boolean {
    if (!this.originAllowed(req)) {
      this.logger.warn('websocket connection refused: origin not in CORS_ORIGINS');
      return false;
    }
    const limit = this.options.maxConnectionsPerIp ?? 0;
    if (limit <= 0 || (this.connectionsByIp.get(this.clientIp(req)) ?? 0) < limit) return true;
    this.logger.warn('websocket connection refused: too many connections from one client');
    return false;
  }

  /**
   * Browsers send `Origin` on every Socket.IO request (WebSocket upgrades included, which CORS does not
   * cover); other clients send none and are not subject to it. Allowed: the CORS_ORIGINS list, and the
   * server's own origin, the one in `Host` (which a proxy in front must pass on). A proxy that passes the
   * host without its port (nginx's `$host`) makes the port unknowable, so then the host name decides.
   */
  private originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (this.options.corsOrigins?.includes(origin)) return true;
    const host = req.headers.host ?? '';
    try {
      const url = new URL(origin);
      return url.host === host || (!host.includes(':') && url.hostname === host);
    } catch {
      return false;
    }
  }

  private relayStatus(live: boolean): RelayStatus {
    return {
      live,
      message: live ? 'Live: seat changes are relayed as they commit'
        : 'Live updates paused: the database connection is lost; seat maps will be re-sent when it is back',
      timestamp: new Date().toISOString(),
    };
  }

  private broadcastRelayStatus(live: boolean): void {
    const status = this.relayStatus(live);
    for (const namespace of this.namespaces) namespace.emit('relay_status', status);
  }

  private relay(change: SeatsUpdated): void {
    const room = roomOf(change.flightNumber, change.date);
    this.latest.set(room, change);
    // With connection state recovery on, Socket.IO keeps every broadcast for the recovery window, even one
    // to an empty room: at 1,000 bookings/s that held on to about 3.5 MB of heap a second. So a change is emitted
    // only where a socket watches the flight, or may still come back to it and replay what it missed.
    const recoverable = this.recoverable.has(room);
    for (const namespace of this.namespaces) {
      if (recoverable || namespace.adapter.rooms.has(room)) namespace.to(room).emit('seats_updated', change);
    }
  }

  private onConnection(socket: Socket): void {
    const data = socket.data as SocketData;
    data.flights ??= new Set(); // kept as is when the connection state was recovered
    // A signed-in socket gets its user's notifications (booking_cancelled, flight_times_changed) unasked.
    if (data.userId !== undefined) void socket.join(userRoom(data.userId));
    if (!this.options.listener.isConnected()) socket.emit('relay_status', this.relayStatus(false));
    socket.on('disconnect', () => {
      for (const room of data.flights) this.recoverable.set(room, true);
      data.asking?.clear(); // reads still running for it will not join it
    });
    socket.on('subscribe', (payload: unknown, ack?: unknown) => {
      const [body, reply] = splitAck(payload, ack);
      void this.subscribe(socket, body, reply);
    });
    // Open mode (AUTH_MODE=none) only: a client names the user whose notifications it wants, as the open
    // REST API lets anyone read any user's itineraries. With identity on, the room comes from the token
    // (above) and `watch_user` is not an event at all: no socket can listen in on another user.
    if (!this.options.tokens) socket.on('watch_user', (payload: unknown, ack?: unknown) => {
      const [body, reply] = splitAck(payload, ack);
      if (!checkUserRef.Check(body)) {
        fail(socket, reply, { error: 'validation_error', message: 'Expected { userId: 1 }' });
        return;
      }
      void socket.join(userRoom(body.userId));
      reply?.({ ok: true });
    });
    socket.on('unsubscribe', (payload: unknown, ack?: unknown) => {
      const [body, reply] = splitAck(payload, ack);
      const ref = parseFlightRef(body);
      if ('error' in ref) {
        fail(socket, reply, ref);
        return;
      }
      const room = roomOf(ref.flightNumber, ref.date);
      void socket.leave(room);
      data.flights.delete(room);
      data.asking?.delete(room); // a snapshot still being read for it will not join it
      reply?.({ ok: true });
    });
  }

  private async subscribe(socket: Socket, body: unknown, reply: Ack | undefined): Promise<void> {
    const data = socket.data as SocketData;
    const asking = (data.asking ??= new Set());
    const ref = parseFlightRef(body);
    if ('error' in ref) return fail(socket, reply, ref);
    const room = roomOf(ref.flightNumber, ref.date);
    const limit = this.options.maxSubscriptionsPerSocket;
    // Counted from the ask, not from the join: subscriptions being read count as well.
    if (!data.flights.has(room) && !asking.has(room) && data.flights.size + asking.size >= limit) {
      return fail(socket, reply, {
        error: 'too_many_subscriptions',
        message: `A connection may watch at most ${limit} flights; unsubscribe from one first`,
      });
    }

    asking.add(room);
    let seatMap: SeatMap | undefined;
    try {
      seatMap = await this.snapshots.read({ flightNumber: ref.flightNumber, isoDate: ref.isoDate });
    } catch (e) {
      asking.delete(room);
      if (!(e instanceof SnapshotQueueFull)) this.logger.warn({ err: e }, 'gateway: snapshot read failed');
      return fail(socket, reply, { error: 'service_unavailable', message: 'Seat maps are temporarily unavailable, please retry' });
    }
    // False when an unsubscribe (or a disconnect, or the same subscribe sent twice) came while it ran.
    const wanted = asking.delete(room);
    if (!seatMap) {
      return fail(socket, reply, { error: 'flight_not_found', message: `Flight ${ref.flightNumber} on ${ref.date} not found` });
    }
    if (socket.disconnected) return;

    // From here to the end, no await: no relayed change can slip between the snapshot and the join.
    const snapshot = this.freshest(room, seatMap);
    if (wanted) {
      void socket.join(room);
      data.flights.add(room);
      socket.emit('seats_snapshot', snapshot);
    }
    // Unsubscribed meanwhile: the read is answered, and nothing is joined.
    reply?.(snapshot);
  }

  /** Re-reads every watched flight after the listener reconnected, and sends each room a snapshot. */
  private async resyncAll(): Promise<void> {
    const rooms = new Set<string>();
    for (const namespace of this.namespaces) {
      for (const room of namespace.adapter.rooms.keys()) if (room.startsWith(ROOM_PREFIX)) rooms.add(room);
    }
    const keys = [...rooms].map(flightKeyOfRoom);
    for (let start = 0; start < keys.length; start += RESYNC_BATCH) {
      const batch = keys.slice(start, start + RESYNC_BATCH);
      for (let attempt = 1; ; attempt++) {
        try {
          for (const seatMap of await readSeatMaps(this.options.db, batch)) {
            const room = roomOf(seatMap.flightNumber, seatMap.date);
            const snapshot = this.freshest(room, seatMap);
            for (const namespace of this.namespaces) namespace.to(room).emit('seats_snapshot', snapshot);
          }
          break;
        } catch (e) {
          // The database is flapping. If the listener drops again, its next reconnect resyncs anyway.
          this.logger.warn({ err: e, attempt }, 'gateway: resync read failed');
          if (attempt >= RESYNC_ATTEMPTS || !this.options.listener.isConnected()) return;
          await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
        }
      }
    }
  }

  private freshest(room: string, seatMap: SeatMap): SeatsSnapshot {
    const relayed = this.latest.get(room);
    const newer = relayed && relayed.version > seatMap.version;
    // The flight as read (route, times, status too), with the freshest seats this process has relayed.
    return {
      ...seatMap,
      availableSeats: newer ? relayed.availableSeats : seatMap.availableSeats,
      heldSeats: newer ? relayed.heldSeats : seatMap.heldSeats,
      version: newer ? relayed.version : seatMap.version,
      timestamp: new Date().toISOString(),
    };
  }

}

type ParsedRef = (FlightRef & { isoDate: string }) | SocketError;

function parseFlightRef(body: unknown): ParsedRef {
  if (!checkFlightRef.Check(body)) {
    const problem = [...checkFlightRef.Errors(body)][0];
    const where = problem?.path ? `${problem.path.slice(1)}: ` : '';
    return {
      error: 'validation_error',
      message: `Expected { flightNumber: "BKJT123", date: "DD/MM/YYYY" }; ${where}${problem?.message ?? 'invalid'}`,
    };
  }
  const isoDate = wireDateToIso(body.date);
  if (!isoDate) return { error: 'validation_error', message: `date: ${body.date} is not a real DD/MM/YYYY date` };
  return { flightNumber: body.flightNumber, date: body.date, isoDate };
}

function flightKeyOfRoom(room: string): FlightKey {
  const [flightNumber = '', date = ''] = room.slice(ROOM_PREFIX.length).split(':');
  return { flightNumber, isoDate: wireDateToIso(date) ?? '' };
}

/** `emit('subscribe', payload, ack)`, `emit('subscribe', ack)` and `emit('subscribe', payload)` all work. */
function splitAck(payload: unknown, ack: unknown): [unknown, Ack | undefined] {
  if (typeof payload === 'function') return [undefined, payload as Ack];
  return [payload, typeof ack === 'function' ? (ack as Ack) : undefined];
}

function fail(socket: Socket, reply: Ack | undefined, error: SocketError): void {
  socket.emit('error', error);
  reply?.(error);
}
