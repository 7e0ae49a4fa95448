/**
 * What the relay keeps for connection state recovery: Socket.IO retains every broadcast for the recovery
 * window, so changes of flights nobody watches must not be broadcast at all (at bookings-per-second
 * rates that was tens of MB of heap), while a watcher who dropped out still gets its missed changes.
 *
 * The broadcasts are seen where Socket.IO's adapter interface receives them (`Adapter#broadcast`, the
 * method every adapter implements, and the one whose packets recovery retains); the replay is seen by a
 * real client that comes back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Adapter, BroadcastOptions } from 'socket.io-adapter';
import { io } from 'socket.io-client';
import type { RunningServer } from '../src/server.ts';
import { SPEC_EXAMPLE, postBooking, startApi } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';

let cluster: TestCluster;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });

/** Every broadcast a namespace makes from now on: the rooms it went to and its event. */
function recordBroadcasts(api: RunningServer, namespace: string): { rooms: string[]; event: unknown }[] {
  const adapter: Adapter = api.gateway.io.of(namespace).adapter;
  const sent: { rooms: string[]; event: unknown }[] = [];
  const broadcast = adapter.broadcast.bind(adapter);
  adapter.broadcast = (packet: { data?: unknown[] }, options: BroadcastOptions) => {
    sent.push({ rooms: [...options.rooms], event: packet.data?.[0] });
    broadcast(packet, options);
  };
  return sent;
}

const updatesOf = (sent: { rooms: string[]; event: unknown }[], flightNumber: string) =>
  sent.filter((b) => b.event === 'seats_updated' && b.rooms.some((r) => r.includes(`:${flightNumber}:`))).length;

/** Resolves once this instance's listener has relayed a change of each flight. */
const relayed = (api: RunningServer, flightNumbers: string[]) => new Promise<void>((resolve) => {
  const waiting = new Set(flightNumbers);
  const onChange = ({ flightNumber }: { flightNumber: string }) => {
    waiting.delete(flightNumber);
    if (waiting.size > 0) return;
    api.listener.off('seats', onChange);
    setImmediate(resolve); // after the gateway's own listener has run
  };
  api.listener.on('seats', onChange);
});

describe('broadcasts retained for recovery', () => {
  it('only for watched flights, in the namespaces that watch them, and for a watcher who dropped out', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApi(url);
    const root = recordBroadcasts(api, '/');
    const flights = recordBroadcasts(api, '/flights');
    const watcher = io(api.url, { transports: ['websocket'], reconnection: false });
    const updates: { flightNumber: string; version: number }[] = [];
    watcher.on('seats_updated', (update) => updates.push(update));
    try {
      await new Promise((resolve) => watcher.once('connect', () => resolve(undefined)));
      await watcher.emitWithAck('subscribe', { flightNumber: 'BKJT123', date: '07/04/2025' });
      // BKJT123 is watched on '/', BKJT234 nowhere, and nobody is on '/flights'.
      const both = relayed(api, ['BKJT123', 'BKJT234']);
      assert.equal((await postBooking(api.url, SPEC_EXAMPLE)).status, 201);
      await both;
      assert.equal(updatesOf(root, 'BKJT123'), 1);
      assert.equal(updatesOf(root, 'BKJT234'), 0);
      assert.equal(flights.length, 0);

      // The watcher drops out: its room is empty, yet the change is broadcast (and kept) for it to replay.
      const dropped = new Promise((resolve) => watcher.once('disconnect', resolve));
      watcher.io.engine.close();
      await dropped;
      const again = relayed(api, ['BKJT123', 'BKJT234']);
      assert.equal((await postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat: 6, inboundSeat: 4 })).status, 201);
      await again;
      assert.equal(updatesOf(root, 'BKJT123'), 2);
      assert.equal(updatesOf(root, 'BKJT234'), 0);

      // It comes back within the recovery window and gets the change it missed.
      const missed = new Promise((resolve) => watcher.once('seats_updated', resolve));
      watcher.connect();
      await new Promise((resolve) => watcher.once('connect', () => resolve(undefined)));
      assert.equal(watcher.recovered, true);
      await missed;
      assert.deepEqual(updates.map((u) => [u.flightNumber, u.version]), [['BKJT123', updates[0]!.version], ['BKJT123', updates[0]!.version + 1]]);
    } finally {
      watcher.close();
      await api.close();
    }
  });
});
