/**
 * The same workload as the direct SQL reference, through the API: `concurrency` keep-alive connections
 * each POST /api/flight/booking as soon as the previous answer arrived.
 */
import type { Pool } from 'undici';
import { postBooking } from './api.ts';
import type { BenchDatabase } from './database.ts';
import type { LoopOptions } from './directSql.ts';
import { closedLoop, type ThroughputRun } from './stats.ts';
import { bookingRequest, TripSource } from './workload.ts';

export function runHttp(db: BenchDatabase, pool: Pool, options: LoopOptions): Promise<ThroughputRun> {
  const trips = new TripSource(db.flights);
  return closedLoop({
    ...options,
    operation: async () => {
      const response = await postBooking(pool, bookingRequest(trips.next()));
      if (response.status !== 201) throw new Error(`HTTP ${response.status}: ${response.body}`);
    },
    onError: (e) => console.warn(`HTTP: ${(e as Error).message}`),
  });
}
