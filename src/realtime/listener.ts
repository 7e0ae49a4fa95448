/**
 * The Postgres side of the relay: one LISTEN connection per process (pg-listen), named
 * `blackjet-listener` in pg_stat_activity.
 *
 * It turns notifications into checked events and never queries the database per notification. A
 * `seats_updated` or `user_notifications` payload must carry a valid signature (HMAC-SHA256 under the
 * owner's key, added by the seats trigger and the flight management functions), so a role that can merely
 * NOTIFY cannot forge a seat map or tell a customer their booking was cancelled. An
 * unsigned, wrongly signed or malformed payload is logged, counted and dropped. pg-listen gives up reconnecting after 3 s by default; here it
 * retries for as long as the database is down, with capped, jittered backoff. Every `connected` after
 * the first means notifications may have been missed meanwhile (PostgreSQL replays nothing), so it is
 * reported as `resync`: the gateway then re-reads every watched seat map from the tables.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { log as processLog, type Logger } from '../log.ts';
import pgListen, { type Subscriber } from 'pg-listen';
import { BOOKING_RESULTS_CHANNEL, type BookingResult, checkBookingResult } from '../channels/bookingResults.ts';
import { checkSeatsUpdated, checkUserNotification, type SeatsUpdated, type UserNotification } from './events.ts';

// pg-listen is CommonJS with `exports.default`: depending on the loader's interop the default import is
// the function itself or the module object holding it.
const createSubscriber = ((pgListen as unknown as { default?: unknown }).default ?? pgListen) as typeof pgListen.default;

export const SEATS_CHANNEL = 'seats_updated';
export const USER_CHANNEL = 'user_notifications';
const CHANNELS = [SEATS_CHANNEL, BOOKING_RESULTS_CHANNEL, USER_CHANNEL];
export const LISTENER_APPLICATION_NAME = 'blackjet-listener';

export interface ListenerEvents {
  seats: [SeatsUpdated];
  bookingResult: [BookingResult];
  userNotification: [UserNotification];
  /** The connection came back after a loss: anything sent meanwhile is gone. */
  resync: [];
  /** Lost the connection; pg-listen is retrying. */
  disconnected: [];
  /** A notification was dropped: malformed, or (seats_updated) not signed with the key. */
  dropped: [channel: string, reason: DropReason];
}

export type DropReason = 'malformed' | 'unsigned';

export interface ListenerStats {
  dropped: number;
  /** Of those dropped, how many had no valid signature. */
  unsigned: number;
  reconnects: number;
}

/** `<the signed payload without its closing brace>, "signature" : "<64 hex>"}` (signed_notification() in sql/notification_signing.sql). */
const SIGNED = /^([\s\S]*), "signature" : "([0-9a-f]{64})"\}$/;

/** The signed JSON text of a `seats_updated` or `user_notifications` payload, or undefined when its signature is missing or wrong. */
export function verifySignedPayload(text: string, key: Buffer): string | undefined {
  const match = SIGNED.exec(text);
  if (!match) return undefined;
  const signed = `${match[1]}}`;
  const expected = createHmac('sha256', key).update(signed, 'utf8').digest();
  const given = Buffer.from(match[2]!, 'hex');
  return timingSafeEqual(expected, given) ? signed : undefined;
}

/** Backoff for reconnect attempt n: 100 ms doubling to a 5 s cap, with full jitter in its upper half. */
export const retryDelay = (attempt: number) => {
  const ceiling = Math.min(5_000, 100 * 2 ** Math.min(attempt, 10));
  return ceiling / 2 + Math.random() * (ceiling / 2);
};

export class SeatChangeListener extends EventEmitter<ListenerEvents> {
  /** For tests; the metrics count the same events (server.ts). */
  readonly stats: ListenerStats = { dropped: 0, unsigned: 0, reconnects: 0 };
  private readonly subscriber: Subscriber;
  private connected = false;
  private everConnected = false;
  private closing = false;

  /** `signingKey`: the owner's notification key (readNotificationKey in src/provision/notificationKey.ts). */
  constructor(databaseUrl: string, private readonly signingKey: Buffer, private readonly logger: Logger = processLog) {
    super();
    this.subscriber = createSubscriber(
      { connectionString: databaseUrl, application_name: LISTENER_APPLICATION_NAME },
      {
        retryLimit: Infinity,
        retryTimeout: Infinity, // keep retrying for as long as the database is down
        // pg-listen's retry loop has no way to stop; failing here, between attempts, ends it after close().
        retryInterval: (attempt: number) => {
          if (this.closing) throw new Error('listener closed');
          return retryDelay(attempt);
        },
        paranoidChecking: 10_000, // also notice a connection that died silently
        parse: (text: string) => text, // parsed and checked below, where a bad payload cannot throw
      },
    );
    this.subscriber.events.on('connected', () => this.onConnected());
    this.subscriber.events.on('reconnect', (attempt) => {
      if (attempt === 1) {
        this.stats.reconnects++;
        this.logger.warn('listener: connection lost, reconnecting');
        this.emit('disconnected');
      }
      this.connected = false;
    });
    this.subscriber.events.on('error', (e) => {
      if (!this.closing) this.logger.error({ err: e }, 'listener error');
    });
    this.subscriber.notifications.on(SEATS_CHANNEL, (text: string) => this.onSeats(text));
    this.subscriber.notifications.on(BOOKING_RESULTS_CHANNEL, (text: string) => this.onBookingResult(text));
    this.subscriber.notifications.on(USER_CHANNEL, (text: string) => this.onUserNotification(text));
  }

  /**
   * Connects and LISTENs. If the database is unreachable, it does not fail: pg-listen keeps retrying in
   * the background and LISTENs on every channel once it gets through (`isConnected()` tells).
   */
  async start(): Promise<void> {
    try {
      await this.subscriber.connect();
      for (const channel of CHANNELS) await this.subscriber.listenTo(channel);
    } catch (e) {
      this.connected = false;
      this.logger.warn({ err: e }, 'listener: cannot listen yet; retrying in the background');
      // Register the channels anyway: pg-listen re-issues LISTEN for them on every reconnect.
      await Promise.allSettled(CHANNELS.map((channel) => this.subscriber.listenTo(channel)));
    }
  }

  isConnected(): boolean {
    return this.connected;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.connected = false;
    await this.subscriber.close().catch(() => undefined);
  }

  private onConnected(): void {
    if (this.closing) {
      void this.subscriber.close().catch(() => undefined); // a reconnect that finished after close()
      return;
    }
    this.connected = true;
    if (this.everConnected) {
      this.logger.info('listener: reconnected, re-syncing seat maps');
      this.emit('resync');
    }
    this.everConnected = true;
  }

  private onSeats(text: string): void {
    const signed = verifySignedPayload(text, this.signingKey);
    if (signed === undefined) {
      this.drop(SEATS_CHANNEL, text, 'unsigned');
      return;
    }
    const change = parseJson(signed);
    if (!checkSeatsUpdated.Check(change)) {
      this.drop(SEATS_CHANNEL, text, 'malformed');
      return;
    }
    this.emit('seats', change);
  }

  private onBookingResult(text: string): void {
    const result = parseJson(text);
    if (!checkBookingResult.Check(result)) {
      this.drop(BOOKING_RESULTS_CHANNEL, text, 'malformed');
      return;
    }
    this.emit('bookingResult', result);
  }

  private onUserNotification(text: string): void {
    const signed = verifySignedPayload(text, this.signingKey);
    if (signed === undefined) {
      this.drop(USER_CHANNEL, text, 'unsigned');
      return;
    }
    const notification = parseJson(signed);
    if (!checkUserNotification.Check(notification)) {
      this.drop(USER_CHANNEL, text, 'malformed');
      return;
    }
    this.emit('userNotification', notification);
  }

  private drop(channel: string, text: string, reason: DropReason): void {
    this.stats.dropped++;
    if (reason === 'unsigned') this.stats.unsigned++;
    this.logger.warn({ channel, reason, payload: text.slice(0, 200) },
      reason === 'unsigned' ? 'listener: dropped a notification without a valid signature' : 'listener: dropped a malformed notification');
    this.emit('dropped', channel, reason);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
