/**
 * Contention: `requests` simultaneous bookings of one seat (RACE_FLIGHT, seat `seat`), each with its
 * own free inbound seat. Exactly one may win; the others must get 409 seat_unavailable. The losers'
 * latency is the price of waiting for the winner's lock and being told no.
 */
import type { Pool } from 'undici';
import { postBooking } from './api.ts';
import { type BenchDatabase, RACE_FLIGHT } from './database.ts';
import { nowMs, summarize } from './stats.ts';
import { bookingRequest, TripSource } from './workload.ts';
import { query } from '../helpers/api.ts';

export interface ContentionRun {
  created: number;
  conflicts: number;
  other: number;
  /** Seat rows for the contested seat afterwards: must be 1. */
  seatRows: number;
  conflictP50: number;
  conflictP99: number;
  winnerMs: number;
}

export async function runContention(db: BenchDatabase, pool: Pool, requests: number, seat: number, trips: TripSource): Promise<ContentionRun> {
  const bodies = Array.from({ length: requests }, (_, i) => bookingRequest({
    outbound: { ...RACE_FLIGHT, seat },
    inbound: trips.nextLeg(),
    userId: i + 1,
  }));
  const answers = await Promise.all(bodies.map(async (body) => {
    const started = nowMs();
    const { status } = await postBooking(pool, body);
    return { status, ms: nowMs() - started };
  }));
  const conflicts = summarize(answers.filter((a) => a.status === 409).map((a) => a.ms));
  const [{ n }] = await query(db.url, `select count(*)::int as n from seats s join flights f on f.id = s.flight_id
    where f.flight_number = $1 and f.flight_date = $2 and s.seat_number = $3`, [RACE_FLIGHT.flightNumber, RACE_FLIGHT.isoDate, seat]);
  return {
    created: answers.filter((a) => a.status === 201).length,
    conflicts: conflicts.count,
    other: answers.filter((a) => a.status !== 201 && a.status !== 409).length,
    seatRows: n,
    conflictP50: conflicts.p50,
    conflictP99: conflicts.p99,
    winnerMs: answers.find((a) => a.status === 201)?.ms ?? Number.NaN,
  };
}
