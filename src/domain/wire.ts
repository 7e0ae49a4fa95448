/**
 * The formats of values on the wire, written once. The REST contract (http/schemas.ts), the socket
 * contract (realtime/events.ts), the seed loader, date parsing and the flights table's check constraint
 * all use these.
 */

/** A flight number: 2-10 capital letters or digits (`bkjt123` is refused, not guessed at). */
export const FLIGHT_NUMBER_PATTERN = '^[A-Z0-9]{2,10}$';

/** A date as clients send and receive it: DD/MM/YYYY, day first. Whether it is a real day is checked apart (dates.ts). */
export const WIRE_DATE_PATTERN = '^[0-9]{2}/[0-9]{2}/[0-9]{4}$';

/** A Socket.IO socket id, as a client names its socket in `X-Socket-Id` to hear its booking's outcome. */
export const SOCKET_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
