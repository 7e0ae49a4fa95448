/**
 * The Socket.IO API as an AsyncAPI 3.0 document, served at /asyncapi.json (linked from /docs). The payload
 * schemas are the TypeBox schemas of events.ts, the same ones the gateway checks `subscribe` and the
 * NOTIFY payloads with, so the document cannot drift from what the server accepts and sends.
 *
 * Socket.IO in AsyncAPI terms: a namespace is a channel (`/` and `/flights` carry the same events), a
 * Socket.IO event is a message whose `name` is the event name and whose payload is the event's first
 * argument, and an acknowledgement is the operation's `reply`. Operations are from the server's side:
 * it receives `subscribe`, it sends `seats_updated`.
 */
import type { TSchema } from '@sinclair/typebox';
import { BookingConfirmed, BookingFailed, HoldCreatedEvent, HoldReleasedEvent } from '../channels/bookingResults.ts';
import {
  BookingCancelled, FlightRef, FlightTimesChanged, NAMESPACES, RelayStatus, SeatsSnapshot, SeatsUpdated, ServerShutdown,
  SocketError, UnsubscribeAck, UserRef,
} from './events.ts';

/** JSON round trip drops TypeBox's symbol keys. */
const plain = (schema: TSchema) => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

const FLIGHT = { flightNumber: 'BKJT123', date: '07/04/2025' };

/** Every Socket.IO event, by its AsyncAPI message id. */
const MESSAGES = {
  subscribe: {
    name: 'subscribe', schema: 'FlightRef',
    summary: 'Watch a flight: join its updates; a seats_snapshot follows at once (and is the acknowledgement)',
    example: FLIGHT,
  },
  unsubscribe: {
    name: 'unsubscribe', schema: 'FlightRef',
    summary: 'Stop watching a flight (harmless for a flight not watched)',
    example: FLIGHT,
  },
  seatsSnapshot: {
    name: 'seats_snapshot', schema: 'SeatsSnapshot',
    summary: 'A flight\'s whole seat map now: after subscribe, and to every watcher after the server re-synced',
    example: { ...FLIGHT, availableSeats: [1, 2, 5, 6, 7], heldSeats: [8], totalSeats: 8, version: 11, timestamp: '2025-04-01T10:30:00.000Z' },
  },
  seatsUpdated: {
    name: 'seats_updated', schema: 'SeatsUpdated',
    summary: 'One committed change of a flight\'s seat map, whoever made it (REST, psql, a cancellation); '
      + 'versions grow by one per change: apply only a higher version, re-subscribe after a gap',
    example: {
      ...FLIGHT, availableSeats: [1, 2, 6, 7], heldSeats: [8], lastBookedSeat: 5, releasedSeat: null, version: 12,
      timestamp: '2025-04-01T10:30:00.123Z',
    },
  },
  error: {
    name: 'error', schema: 'SocketError',
    summary: 'A subscribe or unsubscribe was refused (also its acknowledgement); nothing was joined',
    example: { error: 'flight_not_found', message: 'Flight BKJT000 on 07/04/2025 not found' },
  },
  unsubscribed: {
    name: 'unsubscribe acknowledgement', schema: 'UnsubscribeAck',
    summary: 'The acknowledgement of an unsubscribe',
    example: { ok: true },
  },
  bookingConfirmed: {
    name: 'booking_confirmed', schema: 'BookingConfirmed',
    summary: 'To the socket named in a REST booking\'s X-Socket-Id header: the booking committed',
    example: {
      bookingId: '0b6f7c1e-5d8a-4c1e-9d0f-3a2b1c4d5e6f',
      outbound: { flightNumber: 'BKJT123', seat: 5 }, inbound: { flightNumber: 'BKJT234', seat: 3 },
    },
  },
  bookingFailed: {
    name: 'booking_failed', schema: 'BookingFailed',
    summary: 'To the socket named in a REST booking\'s X-Socket-Id header: the booking was refused',
    example: {
      reason: 'seat_unavailable', message: 'Seat 5 on flight BKJT123 (07/04/2025) is no longer available',
      conflictingSeat: { flightNumber: 'BKJT123', seat: 5 }, availableSeats: [1, 2, 6, 7],
    },
  },
  watchUser: {
    name: 'watch_user', schema: 'UserRef',
    summary: 'AUTH_MODE=none only: receive a user\'s booking_cancelled and flight_times_changed. With AUTH_MODE=jwt '
      + 'this is no event: a socket connected with `auth: { token }` gets its own user\'s notices unasked',
    example: { userId: 1 },
  },
  watchingUser: {
    name: 'watch_user acknowledgement', schema: 'UnsubscribeAck',
    summary: 'The acknowledgement of a watch_user',
    example: { ok: true },
  },
  bookingCancelled: {
    name: 'booking_cancelled', schema: 'BookingCancelled',
    summary: 'To the booking owner\'s sockets: a flight of the booking was cancelled, so the whole booking is (both seats freed)',
    example: {
      bookingId: '0b6f7c1e-5d8a-4c1e-9d0f-3a2b1c4d5e6f', status: 'cancelled',
      outbound: { ...FLIGHT, seat: 5 }, inbound: { flightNumber: 'BKJT234', date: '08/04/2025', seat: 3 },
      reason: 'flight_cancelled', cancelledFlight: { flightNumber: 'BKJT234', date: '08/04/2025' },
    },
  },
  flightTimesChanged: {
    name: 'flight_times_changed', schema: 'FlightTimesChanged',
    summary: 'To the booking owner\'s sockets: a flight of the booking has new departure and arrival times',
    example: {
      bookingId: '0b6f7c1e-5d8a-4c1e-9d0f-3a2b1c4d5e6f', status: 'confirmed',
      outbound: { ...FLIGHT, seat: 5 }, inbound: { flightNumber: 'BKJT234', date: '08/04/2025', seat: 3 },
      flight: { ...FLIGHT, departureTime: '2025-04-07T10:30:00-07:00', arrivalTime: '2025-04-07T12:00:00-07:00' },
    },
  },
  holdCreated: {
    name: 'hold_created', schema: 'HoldCreated',
    summary: 'To the socket named in POST /api/flight/holds\' X-Socket-Id header: the seats are held until expiresAt',
    example: {
      holdId: '9d3c1f7a-2b4e-4c8d-a1f0-6e5b7c8d9e0f', expiresAt: '2025-04-01T10:35:00.000Z',
      outbound: { flightNumber: 'BKJT123', date: '07/04/2025', seats: [5] },
      inbound: { flightNumber: 'BKJT234', date: '08/04/2025', seats: [3] },
    },
  },
  holdReleased: {
    name: 'hold_released', schema: 'HoldReleased',
    summary: 'To the socket named in DELETE /api/flight/holds/{holdId}\'s X-Socket-Id header: the hold\'s seats are free',
    example: { holdId: '9d3c1f7a-2b4e-4c8d-a1f0-6e5b7c8d9e0f' },
  },
  relayStatus: {
    name: 'relay_status', schema: 'RelayStatus',
    summary: 'Whether this instance relays changes live: false while its database LISTEN connection is down, '
      + 'true again once every watched flight got a fresh seats_snapshot',
    example: {
      live: false, message: 'Live updates paused: the database connection is lost; seat maps will be re-sent when it is back',
      timestamp: '2025-04-01T10:30:00.000Z',
    },
  },
  serverShutdown: {
    name: 'server_shutdown', schema: 'ServerShutdown',
    summary: 'The instance is stopping and will disconnect every socket: reconnect (to another instance) and re-subscribe',
    example: { reason: 'server shutting down', reconnect: true },
  },
} as const;
type MessageId = keyof typeof MESSAGES;

/** What the server receives (with the acknowledgements it replies) and what it sends. */
const RECEIVED: { message: MessageId; summary: string; replies: MessageId[] }[] = [
  { message: 'subscribe', summary: 'A client starts watching a flight', replies: ['seatsSnapshot', 'error'] },
  { message: 'unsubscribe', summary: 'A client stops watching a flight', replies: ['unsubscribed', 'error'] },
  { message: 'watchUser', summary: 'AUTH_MODE=none: a client asks for a user\'s notices', replies: ['watchingUser', 'error'] },
];
const SENT: MessageId[] = [
  'seatsSnapshot', 'seatsUpdated', 'error', 'bookingConfirmed', 'bookingFailed', 'bookingCancelled', 'flightTimesChanged',
  'holdCreated', 'holdReleased', 'relayStatus', 'serverShutdown',
];

const channelId = (namespace: string) => (namespace === '/' ? 'root' : namespace.slice(1));

export function buildAsyncApiDocument() {
  const messageRef = (channel: string, id: MessageId) => ({ $ref: `#/channels/${channel}/messages/${id}` });
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const namespace of NAMESPACES) {
    const channel = channelId(namespace);
    channels[channel] = {
      address: namespace,
      title: namespace === '/' ? 'Default namespace' : `Namespace ${namespace}`,
      description: namespace === '/' ? 'Socket.IO\'s default namespace.' : 'The same events as the default namespace.',
      messages: Object.fromEntries(Object.keys(MESSAGES).map((id) => [id, { $ref: `#/components/messages/${id}` }])),
    };
    for (const { message, summary, replies } of RECEIVED) {
      operations[`${channel}_${message}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${channel}` },
        summary,
        messages: [messageRef(channel, message)],
        reply: { channel: { $ref: `#/channels/${channel}` }, messages: replies.map((id) => messageRef(channel, id)) },
      };
    }
    for (const message of SENT) {
      operations[`${channel}_${message}`] = {
        action: 'send',
        channel: { $ref: `#/channels/${channel}` },
        summary: MESSAGES[message].summary,
        messages: [messageRef(channel, message)],
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'BlackJet live seat maps',
      version: '1.0.0',
      description: 'Socket.IO 4 events of the BlackJet booking API. Connect with a Socket.IO client to the API\'s '
        + 'origin (path /socket.io/, the browser client is served at /socket.io/socket.io.min.js), on the default '
        + 'namespace or /flights. A message `name` is the Socket.IO event name, its payload the event\'s first '
        + 'argument; an operation\'s reply is the acknowledgement. Dates are DD/MM/YYYY. The HTTP API is at /docs.',
    },
    servers: {
      api: {
        host: 'localhost:3000',
        protocol: 'ws',
        pathname: '/socket.io/',
        description: 'The API itself (Socket.IO over WebSocket, or HTTP long-polling)',
      },
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: {
      schemas: {
        FlightRef: plain(FlightRef),
        SeatsSnapshot: plain(SeatsSnapshot),
        SeatsUpdated: plain(SeatsUpdated),
        SocketError: plain(SocketError),
        UnsubscribeAck: plain(UnsubscribeAck),
        BookingConfirmed: plain(BookingConfirmed),
        BookingFailed: plain(BookingFailed),
        UserRef: plain(UserRef),
        BookingCancelled: plain(BookingCancelled),
        FlightTimesChanged: plain(FlightTimesChanged),
        HoldCreated: plain(HoldCreatedEvent),
        HoldReleased: plain(HoldReleasedEvent),
        RelayStatus: plain(RelayStatus),
        ServerShutdown: plain(ServerShutdown),
      },
      messages: Object.fromEntries(Object.entries(MESSAGES).map(([id, m]) => [id, {
        name: m.name,
        title: m.name,
        summary: m.summary,
        contentType: 'application/json',
        payload: { $ref: `#/components/schemas/${m.schema}` },
        examples: [{ payload: m.example }],
      }])),
    },
  };
}
