/**
 * Prometheus metrics (GET /metrics). One registry per server instance, so several servers in one
 * process (tests) do not collide. Labels are from small fixed sets: never a flight, user or socket id.
 */
import client from 'prom-client';
import type pg from 'pg';

/** The `outcome` label of the booking metrics. */
export type BookingOutcomeLabel = 'confirmed' | 'seat_unavailable' | 'not_found' | 'invalid' | 'error';
export type HoldOperation = 'hold' | 'confirm' | 'release';
export type HoldOutcome = 'held' | 'confirmed' | 'released' | 'seat_unavailable' | 'expired' | 'forbidden' | 'not_found'
  | 'conflict' | 'invalid' | 'error';

export interface MetricsSources {
  pool: pg.Pool;
  /** Sockets and flight subscriptions on this instance. */
  realtimeCounts: () => { sockets: number; subscriptions: number };
  /** pg_notification_queue_usage(), read at scrape time. */
  notificationQueueUsage: () => Promise<number>;
}

export class Metrics {
  readonly registry = new client.Registry();

  readonly bookingAttempts = new client.Counter({
    name: 'blackjet_booking_attempts_total',
    help: 'POST /api/flight/booking requests by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly bookingDuration = new client.Histogram({
    name: 'blackjet_booking_duration_seconds',
    help: 'Time to answer a booking request, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly seatConflicts = new client.Counter({
    name: 'blackjet_seat_conflicts_total',
    help: 'Bookings refused because a seat was taken, by the leg that conflicted',
    labelNames: ['leg'] as const,
    registers: [this.registry],
  });

  readonly bookingBatchSize = new client.Histogram({
    name: 'blackjet_booking_batch_size',
    help: 'Bookings per book_round_trips() transaction (BOOKING_BATCH_MAX caps it)',
    buckets: [1, 2, 4, 8, 16, 30],
    registers: [this.registry],
  });

  readonly holdOperations = new client.Counter({
    name: 'blackjet_hold_operations_total',
    help: 'Hold requests (hold, confirm, release) by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly holdDuration = new client.Histogram({
    name: 'blackjet_hold_duration_seconds',
    help: 'Time to answer a hold request, by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly holdsExpired = new client.Counter({
    name: 'blackjet_holds_expired_total',
    help: 'Holds this instance\'s sweeper ended because their time was up',
    registers: [this.registry],
  });

  readonly notificationsRelayed = new client.Counter({
    name: 'blackjet_notifications_relayed_total',
    help: 'seats_updated notifications relayed to Socket.IO rooms',
    registers: [this.registry],
  });

  readonly notificationsDropped = new client.Counter({
    name: 'blackjet_notifications_dropped_total',
    help: 'Notifications dropped by the listener: malformed, or (reason="unsigned") without a valid signature',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly relayLag = new client.Histogram({
    name: 'blackjet_relay_lag_seconds',
    help: 'From the change being written (notification timestamp) to its emit to subscribers',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly listenerReconnects = new client.Counter({
    name: 'blackjet_listener_reconnects_total',
    help: 'Times the LISTEN connection was lost and re-established',
    registers: [this.registry],
  });

  readonly resyncs = new client.Counter({
    name: 'blackjet_resyncs_total',
    help: 'Re-syncs of every watched seat map from the tables (after a listener reconnect)',
    registers: [this.registry],
  });

  constructor(sources: MetricsSources) {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'blackjet_' });
    const gauge = (name: string, help: string, read: () => number | Promise<number>) => new client.Gauge({
      name, help, registers: [this.registry],
      async collect() { this.set(await read()); },
    });
    gauge('blackjet_websocket_connections', 'Socket.IO connections on this instance (all namespaces)', () => sources.realtimeCounts().sockets);
    gauge('blackjet_websocket_subscriptions', 'Flight subscriptions on this instance', () => sources.realtimeCounts().subscriptions);
    gauge('blackjet_db_pool_connections', 'Connections in the query pool', () => sources.pool.totalCount);
    gauge('blackjet_db_pool_idle', 'Idle connections in the query pool', () => sources.pool.idleCount);
    gauge('blackjet_db_pool_waiting', 'Queries waiting for a pool connection', () => sources.pool.waitingCount);
    gauge('blackjet_notification_queue_usage', 'pg_notification_queue_usage(): fraction of the NOTIFY queue in use (-1: unknown)',
      () => sources.notificationQueueUsage().catch(() => -1));
  }
}
