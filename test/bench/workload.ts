/**
 * The uncontended workload: every booking takes two seats nobody else asks for. Legs walk the schedule
 * in a scattered order (a stride coprime with the number of flights), so concurrent bookings land on
 * different flights and different pages; after every flight was used once, the next seat number.
 */
import type pg from 'pg';
import { isoToWireDate } from '../../src/domain/dates.ts';
import { BENCH_USERS } from './database.ts';

export interface Leg { flightNumber: string; isoDate: string; date: string; seat: number }
export interface Trip { outbound: Leg; inbound: Leg; userId: number }

const FIRST_DAY = Date.UTC(2030, 0, 1);
const DAY_MS = 86_400_000;

export class TripSource {
  private position = 0;
  private readonly stride: number;

  constructor(private readonly flights: number) {
    let stride = Math.max(1, Math.floor(flights * 0.618));
    while (gcd(stride, flights) !== 1) stride++;
    this.stride = stride;
  }

  /** A seat on a flight that no earlier leg of this source took. */
  nextLeg(): Leg {
    return this.legAt(this.position++);
  }

  /** The leg that the `position`-th call of nextLeg() returns (0 for the first). */
  legAt(position: number): Leg {
    const seat = Math.floor(position / this.flights) + 1;
    if (seat > 8) throw new Error('the schedule is used up: use more --flights or shorter runs');
    const n = ((position % this.flights) * this.stride) % this.flights + 1;
    const isoDate = new Date(FIRST_DAY + ((n - 1) % 365) * DAY_MS).toISOString().slice(0, 10);
    return { flightNumber: `BJ${n}`, isoDate, date: isoToWireDate(isoDate), seat };
  }

  next(): Trip {
    const a = this.nextLeg();
    const b = this.nextLeg();
    const [outbound, inbound] = a.isoDate <= b.isoDate ? [a, b] : [b, a];
    return { outbound, inbound, userId: (this.position % BENCH_USERS) + 1 };
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The body of POST /api/flight/booking. */
export function bookingRequest(trip: Trip): string {
  return JSON.stringify({
    outboundFlightNumber: trip.outbound.flightNumber, outboundDate: trip.outbound.date, outboundSeat: trip.outbound.seat,
    inboundFlightNumber: trip.inbound.flightNumber, inboundDate: trip.inbound.date, inboundSeat: trip.inbound.seat,
    userId: trip.userId,
  });
}

/** book_round_trip() as a named (prepared once per connection) statement. */
export function bookRoundTripQuery(trip: Trip): pg.QueryConfig {
  return {
    name: 'bench_book_round_trip',
    text: 'select booking_id from book_round_trip($1, $2::date, $3, $4, $5::date, $6, $7)',
    values: [trip.outbound.flightNumber, trip.outbound.isoDate, trip.outbound.seat,
      trip.inbound.flightNumber, trip.inbound.isoDate, trip.inbound.seat, trip.userId],
  };
}
