/**
 * The usual design, for comparison: the booking as an interactive transaction driven from Node, one
 * round trip per step (BEGIN, check the user, SELECT ... FOR UPDATE the flights, read the seats, check
 * them in JavaScript, INSERT the booking, INSERT the seats, COMMIT). Same connections, same workload,
 * same seat-change trigger as the direct SQL reference; every statement is prepared once per connection.
 */
import type pg from 'pg';
import type { BenchDatabase } from './database.ts';
import { type LoopOptions, withClients } from './directSql.ts';
import { closedLoop, type ThroughputRun } from './stats.ts';
import { type Trip, TripSource } from './workload.ts';

class SeatTaken extends Error {}

export async function bookInteractively(client: pg.Client, trip: Trip): Promise<string> {
  const { outbound, inbound, userId } = trip;
  await client.query('begin');
  try {
    const user = await client.query({ name: 'i_user', text: 'select id from users where id = $1', values: [userId] });
    if (user.rowCount !== 1) throw new Error(`user ${userId} not found`);
    const flights = await client.query<{ id: number; flight_number: string }>({
      name: 'i_flights',
      text: `select id, flight_number from flights
              where (flight_number = $1 and flight_date = $2::date) or (flight_number = $3 and flight_date = $4::date)
              order by id for update`,
      values: [outbound.flightNumber, outbound.isoDate, inbound.flightNumber, inbound.isoDate],
    });
    const outboundId = flights.rows.find((f) => f.flight_number === outbound.flightNumber)?.id;
    const inboundId = flights.rows.find((f) => f.flight_number === inbound.flightNumber)?.id;
    if (outboundId === undefined || inboundId === undefined) throw new Error('flight not found');
    const taken = await client.query({
      name: 'i_taken',
      text: `select flight_id, seat_number from seats
              where (flight_id = $1 and seat_number = $2) or (flight_id = $3 and seat_number = $4)`,
      values: [outboundId, outbound.seat, inboundId, inbound.seat],
    });
    if (taken.rowCount !== 0) throw new SeatTaken();
    const booking = await client.query<{ id: string }>({
      name: 'i_booking',
      text: `insert into bookings (user_id, outbound_flight_id, outbound_seat, inbound_flight_id, inbound_seat)
             values ($1, $2, $3, $4, $5) returning id`,
      values: [userId, outboundId, outbound.seat, inboundId, inbound.seat],
    });
    const bookingId = booking.rows[0]!.id;
    await client.query({
      name: 'i_seats',
      text: 'insert into seats (flight_id, seat_number, user_id, booking_id) values ($1, $2, $5, $6), ($3, $4, $5, $6)',
      values: [outboundId, outbound.seat, inboundId, inbound.seat, userId, bookingId],
    });
    await client.query('commit');
    return bookingId;
  } catch (e) {
    await client.query('rollback');
    throw e;
  }
}

export function runInteractive(db: BenchDatabase, options: LoopOptions): Promise<ThroughputRun> {
  const trips = new TripSource(db.flights);
  return withClients(db.url, options.concurrency, (clients) => closedLoop({
    ...options,
    operation: async (worker) => { await bookInteractively(clients[worker]!, trips.next()); },
    onError: (e) => console.warn(`interactive transaction: ${(e as Error).message}`),
  }));
}
