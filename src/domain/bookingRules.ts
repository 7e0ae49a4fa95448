/**
 * The request rules of a round trip that a JSON schema cannot say: real calendar days, inbound not
 * before outbound, two different flights. (Types, required fields and seat ranges are in the schema.)
 * book_round_trip() checks the same rules for psql callers; here they become field-level 400s.
 */
import { wireDateToIso } from './dates.ts';

/** The fields of a booking request (http/schemas.ts BookingRequest) that these rules read. */
type RoundTripLegs = Record<'outboundFlightNumber' | 'outboundDate' | 'inboundFlightNumber' | 'inboundDate', string>;

/** The seat fields of a booking request: one passenger's two seats, or a party's two lists. */
export interface SeatFields {
  outboundSeat?: number;
  inboundSeat?: number;
  outboundSeats?: number[];
  inboundSeats?: number[];
  passengerNames?: (string | null)[];
}

export type SeatChoice =
  | { ok: true; party: false; outboundSeat: number; inboundSeat: number }
  | { ok: true; party: true; outboundSeats: number[]; inboundSeats: number[]; passengerNames?: (string | null)[] }
  | { ok: false; problems: FieldProblem[] };

/**
 * One form or the other: `outboundSeat` + `inboundSeat`, or `outboundSeats` + `inboundSeats` of the same
 * length (the schema has checked each list: 1-4 different seats), with at most one name per passenger.
 */
export function checkSeatChoice(request: SeatFields): SeatChoice {
  const { outboundSeat, inboundSeat, outboundSeats, inboundSeats, passengerNames } = request;
  const single = outboundSeat !== undefined || inboundSeat !== undefined;
  const party = outboundSeats !== undefined || inboundSeats !== undefined;
  const problems: FieldProblem[] = [];
  if (single && party) {
    problems.push({ field: 'outboundSeats', message: 'send outboundSeat/inboundSeat (one passenger) or outboundSeats/inboundSeats (a party), not both' });
  } else if (party) {
    if (outboundSeats === undefined) problems.push({ field: 'outboundSeats', message: "must have required property 'outboundSeats'" });
    if (inboundSeats === undefined) problems.push({ field: 'inboundSeats', message: "must have required property 'inboundSeats'" });
    if (outboundSeats && inboundSeats && outboundSeats.length !== inboundSeats.length) {
      problems.push({ field: 'inboundSeats', message: `has ${inboundSeats.length} seats and outboundSeats ${outboundSeats.length}: one of each per passenger` });
    }
  } else {
    if (outboundSeat === undefined) problems.push({ field: 'outboundSeat', message: "must have required property 'outboundSeat'" });
    if (inboundSeat === undefined) problems.push({ field: 'inboundSeat', message: "must have required property 'inboundSeat'" });
  }
  if (passengerNames !== undefined && !(party && outboundSeats && passengerNames.length === outboundSeats.length)) {
    problems.push({ field: 'passengerNames', message: 'one name (or null) per passenger, with outboundSeats/inboundSeats' });
  }
  if (problems.length > 0) return { ok: false, problems };
  if (party) return { ok: true, party: true, outboundSeats: outboundSeats!, inboundSeats: inboundSeats!, passengerNames };
  return { ok: true, party: false, outboundSeat: outboundSeat!, inboundSeat: inboundSeat! };
}

export interface FieldProblem {
  field: string;
  message: string;
}

export type CheckedRoundTrip =
  | { ok: true; outboundIsoDate: string; inboundIsoDate: string }
  | { ok: false; problems: FieldProblem[] };

export function checkRoundTrip(request: RoundTripLegs): CheckedRoundTrip {
  const problems: FieldProblem[] = [];
  const outboundIsoDate = wireDateToIso(request.outboundDate);
  const inboundIsoDate = wireDateToIso(request.inboundDate);
  if (!outboundIsoDate) {
    problems.push({ field: 'outboundDate', message: `${request.outboundDate} is not a real DD/MM/YYYY date` });
  }
  if (!inboundIsoDate) {
    problems.push({ field: 'inboundDate', message: `${request.inboundDate} is not a real DD/MM/YYYY date` });
  }
  if (outboundIsoDate && inboundIsoDate) {
    // ISO dates compare correctly as strings.
    if (inboundIsoDate < outboundIsoDate) {
      problems.push({ field: 'inboundDate', message: 'inboundDate is before outboundDate' });
    } else if (inboundIsoDate === outboundIsoDate && request.inboundFlightNumber === request.outboundFlightNumber) {
      problems.push({ field: 'inboundFlightNumber', message: 'outbound and inbound are the same flight on the same date' });
    }
  }
  if (problems.length > 0 || !outboundIsoDate || !inboundIsoDate) return { ok: false, problems };
  return { ok: true, outboundIsoDate, inboundIsoDate };
}
