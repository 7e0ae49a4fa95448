/**
 * Sizes of the API's database work, in a module that imports nothing, so that configuration (config.ts)
 * can check its variables against them.
 */

/** Connections per API process unless told otherwise. */
export const DEFAULT_POOL_SIZE = 10;
/** BOOKING_BATCH_MAX unless set: bookings that may share one transaction (src/db/bookingQueue.ts). */
export const DEFAULT_BOOKING_BATCH_MAX = 16;
/** BOOKING_CONNECTIONS unless set: booking transactions running at once, at most the pool's size. */
export const DEFAULT_BOOKING_CONNECTIONS = 4;
/** book_round_trips() refuses larger batches (the per-backend subtransaction cache, sql/book_round_trips.sql). */
export const BOOKING_BATCH_LIMIT = 30;
