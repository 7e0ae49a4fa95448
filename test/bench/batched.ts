/**
 * The batched path without HTTP: `concurrency` workers in the bench process book through the API's own
 * booking queue (src/db/bookingQueue.ts) on a pool of its booking connections, so bookings that arrive
 * while those are busy share a book_round_trips() transaction. Beside the direct SQL reference (one
 * book_round_trip() per transaction) it shows what batching alone buys at the database.
 */
import { BookingQueue, DEFAULT_BOOKING_BATCH_MAX, DEFAULT_BOOKING_CONNECTIONS } from '../../src/db/bookingQueue.ts';
import { createDb, createPool } from '../../src/db/client.ts';
import type { BenchDatabase } from './database.ts';
import type { LoopOptions } from './directSql.ts';
import { closedLoop, type ThroughputRun } from './stats.ts';
import { TripSource } from './workload.ts';

export async function runBatched(db: BenchDatabase, options: LoopOptions): Promise<ThroughputRun> {
  const trips = new TripSource(db.flights);
  const pool = createPool({ url: db.url, applicationName: 'blackjet-bench', max: DEFAULT_BOOKING_CONNECTIONS });
  const queue = new BookingQueue(createDb(pool), { maxBatch: DEFAULT_BOOKING_BATCH_MAX, connections: DEFAULT_BOOKING_CONNECTIONS });
  try {
    return await closedLoop({
      ...options,
      operation: async () => {
        const { outbound, inbound, userId } = trips.next();
        const outcome = await queue.book({
          trip: {
            outboundFlightNumber: outbound.flightNumber, outboundIsoDate: outbound.isoDate, outboundSeat: outbound.seat,
            inboundFlightNumber: inbound.flightNumber, inboundIsoDate: inbound.isoDate, inboundSeat: inbound.seat, userId,
          },
        });
        if ('refused' in outcome) throw new Error(`${outcome.refused.code} ${outcome.refused.message}`);
      },
      onError: (e) => console.warn(`batched: ${(e as Error).message}`),
    });
  } finally {
    await pool.end();
  }
}
