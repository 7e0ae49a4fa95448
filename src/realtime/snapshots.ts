/**
 * Seat-map reads for WebSocket snapshots, bounded per instance and coalesced per flight.
 *
 * Every flight asked for waits in one queue; when a read slot is free, up to `batchSize` queued flights
 * are read in one statement. A flight already queued or being read is not read twice: everyone asking
 * for it gets the same answer. (Joining a read that is already running is safe: the gateway takes the
 * freshest of the read and the changes relayed meanwhile, see gateway.ts.) So however many sockets subscribe, and
 * however fast, this instance runs at most `concurrency` snapshot queries at a time and queues at most
 * `maxQueued` flights (past that, a read fails at once and the socket is told to retry).
 */
import pg from 'pg';
import { isoToWireDate } from '../domain/dates.ts';
import type { Db } from '../db/client.ts';
import { type FlightKey, readSeatMaps, type SeatMap } from '../db/seatMaps.ts';

export class SnapshotQueueFull extends Error {}

export interface SnapshotReaderOptions {
  /** Snapshot queries running at once on this instance. */
  concurrency: number;
  /** Distinct flights waiting for a read. */
  maxQueued: number;
  /** Flights per query. */
  batchSize: number;
}

export const DEFAULT_SNAPSHOT_READS: SnapshotReaderOptions = { concurrency: 2, maxQueued: 10_000, batchSize: 200 };

interface Waiting {
  key: FlightKey;
  promise: Promise<SeatMap | undefined>;
  resolve(map: SeatMap | undefined): void;
  reject(error: unknown): void;
}

const keyOf = (flight: FlightKey) => `${flight.flightNumber}:${flight.isoDate}`;

export class SnapshotReader {
  /** Queued or being read, by flight: a second ask shares the first. */
  private readonly pending = new Map<string, Waiting>();
  /** Queued, not yet being read (Map order is arrival order). */
  private readonly queue = new Map<string, Waiting>();
  private running = 0;
  /** For tests and metrics: snapshot queries sent to the database. */
  queries = 0;

  constructor(private readonly db: Db, private readonly options: SnapshotReaderOptions = DEFAULT_SNAPSHOT_READS) {}

  /** The flight's seat map as of a read that started after this call; undefined for an unknown flight. */
  read(flight: FlightKey): Promise<SeatMap | undefined> {
    const key = keyOf(flight);
    const asked = this.pending.get(key);
    if (asked) return asked.promise;
    if (this.queue.size >= this.options.maxQueued) return Promise.reject(new SnapshotQueueFull('too many snapshot reads queued'));
    let settle!: Pick<Waiting, 'resolve' | 'reject'>;
    const promise = new Promise<SeatMap | undefined>((resolve, reject) => { settle = { resolve, reject }; });
    const waiting = { key: flight, promise, ...settle };
    this.queue.set(key, waiting);
    this.pending.set(key, waiting);
    this.pump();
    return promise;
  }

  /** Distinct flights waiting and queries running, for tests. */
  load(): { queued: number; running: number } {
    return { queued: this.queue.size, running: this.running };
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queue.size > 0) {
      const batch: Waiting[] = [];
      for (const [key, waiting] of this.queue) {
        this.queue.delete(key);
        batch.push(waiting);
        if (batch.length >= this.options.batchSize) break;
      }
      this.running++;
      this.queries++;
      void this.readBatch(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async readBatch(batch: Waiting[]): Promise<void> {
    try {
      const keys = batch.map((w) => w.key);
      // A connection that could not be had (its 3 s timer can also fire just because a burst kept the
      // event loop busy) is tried once more; an error the server sent is final.
      const read = await readSeatMaps(this.db, keys).catch((e: unknown) => {
        if ((e as { cause?: unknown }).cause instanceof pg.DatabaseError || e instanceof pg.DatabaseError) throw e;
        this.queries++;
        return readSeatMaps(this.db, keys);
      });
      const maps = new Map(read.map((m) => [`${m.flightNumber}:${m.date}`, m]));
      for (const waiting of batch) waiting.resolve(maps.get(`${waiting.key.flightNumber}:${isoToWireDate(waiting.key.isoDate)}`));
    } catch (e) {
      for (const waiting of batch) waiting.reject(e);
    } finally {
      for (const waiting of batch) this.pending.delete(keyOf(waiting.key));
    }
  }
}
