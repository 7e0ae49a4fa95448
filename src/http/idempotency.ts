/**
 * The Idempotency-Key header of POST /api/flight/booking. The key and the outcome live in the database
 * (book_round_trip_idempotent); here is the request's fingerprint: the SHA-256 of its canonical JSON body,
 * so the same booking written with other whitespace or key order is the same request, and any other
 * value of any field is another.
 */
import { createHash } from 'node:crypto';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** Set on a response that replays the stored outcome of an earlier request with the same key. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const requestFingerprint = (body: unknown) => createHash('sha256').update(canonicalJson(body)).digest('hex');
