/**
 * What became of one booking request that reached the booking route, as typed data. The route makes it
 * once and hands it to the attempt's log line and metrics (http/observability.ts) and to the booker's
 * socket (channels/bookingResults.ts).
 */

/** One leg's flight and seat. */
export interface SeatRef {
  flightNumber: string;
  seat: number;
}

export type BookingOutcome =
  | {
    kind: 'confirmed';
    bookingId: string;
    /** `seats`: a party's seats on the leg, in passenger order (`seat` is the first). */
    outbound: SeatRef & { seats?: number[] };
    inbound: SeatRef & { seats?: number[] };
    /** Answered from an earlier request with the same Idempotency-Key. */
    replayed: boolean;
  }
  | {
    kind: 'refused';
    /** The HTTP status and error code of the answer (409 seat_unavailable, 404 flight_not_found, ...). */
    status: number;
    error: string;
    message: string;
    /** For a seat conflict: the seat that was taken, and on which leg. */
    conflict?: SeatRef & { leg: 'outbound' | 'inbound' };
    /** For a seat conflict: the free seats of that flight. */
    availableSeats: number[];
    replayed: boolean;
  };
