/**
 * Column formatting shared by the read queries. Dates and timestamps leave SQL as text in a fixed form,
 * whatever the session's DateStyle or TimeZone: ISO dates (the HTTP layer turns them into DD/MM/YYYY)
 * and ISO 8601 UTC timestamps with milliseconds, the form the seats_updated payload uses.
 */
import { type SQL, sql } from 'drizzle-orm';

export const isoDate = (column: SQL) => sql`to_char(${column}, 'YYYY-MM-DD')`;

export const isoUtcTimestamp = (column: SQL) =>
  sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
