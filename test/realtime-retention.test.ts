/**
 * What the relay keeps for connection state recovery: Socket.IO retains every broadcast for the recovery
 * window, so changes of flights nobody watches must not be broadcast at all (at bookings-per-second
 * rates that was tens of MB of heap), while a watcher who dropped out still gets its missed changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../src/server.ts';
import { SPEC_EXAMPLE, postBooking, startApi } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { connectSocket, subscribe, waitForEvent } from './helpers/sockets.ts';

let cluster: TestCluster;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });

const retained = (api: RunningServer, namespace: string) =>
  (api.gateway.io.of(namespace).adapter as unknown as { packets: unknown[] }).packets.length;

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
    const watcher = await connectSocket(api.url, '/');
    try {
      await subscribe(watcher, 'BKJT123', '07/04/2025');
      const before = retained(api, '/'); // the snapshot is retained too, as every emit is
      // BKJT123 is watched on '/', BKJT234 nowhere, and nobody is on '/flights'.
      const both = relayed(api, ['BKJT123', 'BKJT234']);
      assert.equal((await postBooking(api.url, SPEC_EXAMPLE)).status, 201);
      await both;
      await waitForEvent(watcher, 'seats_updated', (p) => p.flightNumber === 'BKJT123');
      assert.equal(retained(api, '/'), before + 1);
      assert.equal(retained(api, '/flights'), 0);

      // The watcher drops out: its room is empty, yet the change is kept for it to replay.
      const dropped = new Promise((resolve) => watcher.socket.once('disconnect', resolve));
      watcher.socket.io.engine.close();
      await dropped;
      const again = relayed(api, ['BKJT123', 'BKJT234']);
      assert.equal((await postBooking(api.url, { ...SPEC_EXAMPLE, outboundSeat: 6, inboundSeat: 4 })).status, 201);
      await again;
      assert.equal(retained(api, '/'), before + 2);
    } finally {
      watcher.close();
      await api.close();
    }
  });
});
