/**
 * A small typed client for live seat maps, and the reference for the protocol (README):
 *
 * - `subscribe` answers with a `seats_snapshot` (and through the acknowledgement); every committed change
 *   then arrives as `seats_updated` with a `version` one higher than the last.
 * - Apply an event only if its version is higher than what you hold; a snapshot of the same version is
 *   harmless. A version more than one higher means something was missed: ask for a fresh snapshot.
 * - After a reconnect that Socket.IO could not recover (`socket.recovered === false`), subscribe again
 *   to every flight: each answers with a fresh snapshot.
 */
import { EventEmitter } from 'node:events';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { FlightRef, SeatsSnapshot, SeatsUpdated, SocketError } from '../realtime/events.ts';

/** What the client knows of a flight: the latest snapshot or update applied (a `seats_updated` has no totalSeats). */
export type SeatMapView = Pick<SeatsSnapshot, 'flightNumber' | 'date' | 'availableSeats' | 'heldSeats' | 'version' | 'timestamp'>;

export interface SeatMapClientEvents {
  /** A flight's seat map changed (or arrived) in this client's view. */
  change: [SeatMapView];
  /** The server refused something (its `error` event; not named `error` here, which would throw unheard). */
  refused: [SocketError];
}

export class SeatMapClient extends EventEmitter<SeatMapClientEvents> {
  readonly socket: Socket;
  /** The current view of every subscribed flight, keyed `BKJT123 07/04/2025`. */
  readonly seatMaps = new Map<string, SeatMapView>();
  private readonly subscriptions = new Map<string, FlightRef>();
  private connectedBefore = false;

  /** `url` may include a namespace: `http://localhost:3000/flights`. */
  constructor(url: string, options: Partial<ManagerOptions & SocketOptions> = {}) {
    super();
    this.socket = io(url, { transports: ['websocket'], ...options });
    this.socket.on('connect', () => {
      if (this.connectedBefore && !this.socket.recovered) {
        for (const ref of this.subscriptions.values()) this.socket.emit('subscribe', ref);
      }
      this.connectedBefore = true;
    });
    this.socket.on('seats_snapshot', (snapshot: SeatsSnapshot) => this.apply(snapshot, true));
    this.socket.on('seats_updated', (update: SeatsUpdated) => this.apply(update, false));
    this.socket.on('error', (error: SocketError) => this.emit('refused', error));
  }

  static key(flightNumber: string, date: string): string {
    return `${flightNumber} ${date}`;
  }

  /** Watches a flight; resolves with its snapshot, rejects with the server's error. */
  async subscribe(ref: FlightRef): Promise<SeatsSnapshot> {
    const reply = await this.socket.emitWithAck('subscribe', ref) as SeatsSnapshot | SocketError;
    if ('error' in reply) throw Object.assign(new Error(reply.message), reply);
    this.subscriptions.set(SeatMapClient.key(ref.flightNumber, ref.date), ref);
    return reply;
  }

  async unsubscribe(ref: FlightRef): Promise<void> {
    const key = SeatMapClient.key(ref.flightNumber, ref.date);
    this.subscriptions.delete(key);
    this.seatMaps.delete(key);
    await this.socket.emitWithAck('unsubscribe', ref);
  }

  close(): void {
    this.socket.close();
  }

  private apply(event: SeatsSnapshot | SeatsUpdated, isSnapshot: boolean): void {
    const key = SeatMapClient.key(event.flightNumber, event.date);
    const held = this.seatMaps.get(key);
    if (held && (event.version < held.version || (event.version === held.version && !isSnapshot))) return;
    if (held && !isSnapshot && event.version > held.version + 1) {
      // A gap: the event still carries the full seat map, but ask for a snapshot to be sure.
      this.socket.emit('subscribe', { flightNumber: event.flightNumber, date: event.date });
    }
    const view: SeatMapView = {
      flightNumber: event.flightNumber,
      date: event.date,
      availableSeats: event.availableSeats,
      heldSeats: event.heldSeats,
      version: event.version,
      timestamp: event.timestamp,
    };
    this.seatMaps.set(key, view);
    this.emit('change', view);
  }
}
