/**
 * The request rules of a round trip that a JSON schema cannot say: real calendar days, inbound not
 * before outbound, two different flights. (Types, required fields and seat ranges are in the schema.)
 * book_round_trip() checks the same rules for psql callers; here they become field-level 400s.
 */
import { wireDateToIso } from './dates.ts';

/** The fields of a booking request (http/schemas.ts BookingRequest) that these rules read. */
type RoundTripLegs = Record<'outboundFlightNumber' | 'outboundDate' | 'inboundFlightNumber' | 'inboundDate', string>;

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
