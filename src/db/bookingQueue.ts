/**
 * The booking queue: every booking of this instance goes through it. At most `connections` batches run
 * at once; a booking that arrives while they are all busy waits, and when one finishes, everything that
 * waited (up to `maxBatch`) leaves together as the next batch: one transaction, one commit, one turn at
 * PostgreSQL's NOTIFY lock for all of them (README, Performance). There is no timer: at low load a
 * connection is free, the batch is the one booking, and it leaves at once.
 *
 * Two requests with the same Idempotency-Key never share a batch, nor run in two batches at once: the
 * second waits in the queue until the first's batch has committed, and then replays its outcome.
 */
import type { BatchOutcome, BatchRequest } from './bookRoundTrips.ts';
import { bookRoundTrips } from './bookRoundTrips.ts';
import { type Db, RETRIED_SQLSTATES } from './client.ts';
import { BOOKING_BATCH_LIMIT, DEFAULT_BOOKING_BATCH_MAX, DEFAULT_BOOKING_CONNECTIONS } from './sizes.ts';

export interface BookingQueueOptions {
  /** BOOKING_BATCH_MAX: bookings per transaction at most (1: every booking alone). */
  maxBatch: number;
  /** BOOKING_CONNECTIONS: batches running at once, each on its own pooled connection. */
  connections: number;
  /** Told the size of every batch as it leaves (metrics). */
  onBatch?: (size: number) => void;
}


interface Waiting {
  request: BatchRequest;
  /** Set once the request lost a race (40001/40P01) and went back into the queue: it goes back only once. */
  retried?: boolean;
  resolve: (outcome: BatchOutcome) => void;
  reject: (error: unknown) => void;
}

export class BookingQueue {
  private waiting: Waiting[] = [];
  private running = 0;
  private readonly keysInFlight = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly options: BookingQueueOptions = { maxBatch: DEFAULT_BOOKING_BATCH_MAX, connections: DEFAULT_BOOKING_CONNECTIONS },
  ) {
    if (options.maxBatch < 1 || options.maxBatch > BOOKING_BATCH_LIMIT) throw new RangeError(`maxBatch must be 1..${BOOKING_BATCH_LIMIT}`);
    if (options.connections < 1) throw new RangeError('connections must be at least 1');
  }

  /** Resolves with this request's outcome; rejects when its whole batch failed (database unreachable...). */
  book(request: BatchRequest): Promise<BatchOutcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.startBatches();
    });
  }

  /** Bookings waiting for a connection right now. */
  get queued(): number {
    return this.waiting.length;
  }

  private startBatches(): void {
    while (this.running < this.options.connections && this.waiting.length > 0) {
      const batch = this.takeBatch();
      if (batch.length === 0) return; // all that waits has a key still in flight: its batch ending restarts us
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.startBatches();
      });
    }
  }

  /** The oldest waiting requests, up to maxBatch, skipping any whose key is already taken. */
  private takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    const left: Waiting[] = [];
    for (const item of this.waiting) {
      const key = item.request.idempotency?.idempotencyKey;
      if (batch.length >= this.options.maxBatch || (key !== undefined && this.keysInFlight.has(key))) {
        left.push(item);
        continue;
      }
      if (key !== undefined) this.keysInFlight.add(key);
      batch.push(item);
    }
    this.waiting = left;
    return batch;
  }

  private async run(batch: Waiting[]): Promise<void> {
    this.options.onBatch?.(batch.length);
    try {
      const outcomes = await bookRoundTrips(this.db, batch.map((item) => item.request));
      const again: Waiting[] = [];
      batch.forEach((item, i) => {
        const outcome = outcomes[i]!;
        // A request that lost a race inside PostgreSQL (serialization failure, deadlock) was rolled back
        // alone in its subtransaction; like a lone statement in the pool, it is tried once more before the
        // client hears 503. It goes to the front: it has waited longest.
        if ('refused' in outcome && RETRIED_SQLSTATES.has(outcome.refused.code) && !item.retried) {
          item.retried = true;
          again.push(item);
        } else {
          item.resolve(outcome);
        }
      });
      this.waiting.unshift(...again);
    } catch (e) {
      for (const item of batch) item.reject(e);
    } finally {
      for (const item of batch) {
        const key = item.request.idempotency?.idempotencyKey;
        if (key !== undefined) this.keysInFlight.delete(key);
      }
    }
  }
}
