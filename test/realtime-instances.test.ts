/**
 * Several instances on one database, as separate processes: a change made through one instance, or by
 * a DBA in psql, reaches subscribers on every instance. PostgreSQL is all they share.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { SPEC_EXAMPLE, postBooking } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { startApiProcess, type ApiProcess } from './helpers/processes.ts';
import { MARKER, NAMESPACES, connectSocket, passMarker, subscribe, type RecordedSocket } from './helpers/sockets.ts';

let cluster: TestCluster;
let url: string;
let a: ApiProcess;
let b: ApiProcess;
const sockets: RecordedSocket[] = [];

before(async () => {
  cluster = await startTestCluster();
  url = await cluster.freshDatabase();
  [a, b] = await Promise.all([startApiProcess(url), startApiProcess(url)]);
});
after(async () => {
  for (const s of sockets) s.close();
  await Promise.all([a?.stop(), b?.stop()]);
  await cluster.stop();
});

/** One watcher per instance and namespace, on the marker flight and `flight`. */
async function watchEverywhere(flightNumber: string, date: string): Promise<RecordedSocket[]> {
  const watchers: RecordedSocket[] = [];
  for (const instance of [a, b]) {
    for (const namespace of NAMESPACES) {
      const w = await connectSocket(instance.url, namespace);
      sockets.push(w);
      for (const [f, d] of [[MARKER.flightNumber, MARKER.date], [flightNumber, date]]) {
        assert.equal((await subscribe(w, f!, d!)).error, undefined);
      }
      watchers.push(w);
    }
  }
  return watchers;
}

describe('two API processes on one database', () => {
  it('a booking through instance A reaches subscribers on A and B, once each', async () => {
    const watchers = await watchEverywhere('BKJT123', '07/04/2025');
    assert.equal((await postBooking(a.url, SPEC_EXAMPLE)).status, 201);
    await passMarker(url, watchers);
    for (const w of watchers) {
      const updates = w.updates('BKJT123', '07/04/2025');
      assert.equal(updates.length, 1);
      assert.deepEqual(updates[0].availableSeats, [1, 2, 6, 7]);
    }
  });

  it('a booking made in psql with book_round_trip() reaches subscribers on both', async () => {
    const watchers = await watchEverywhere('BKJT999', '01/05/2025');
    const { stdout } = await promisify(execFile)('psql', [url, '-v', 'ON_ERROR_STOP=1', '-At', '-c', `
      select status from book_round_trip(outbound_flight_number => 'BKJT999', outbound_date => '2025-05-01',
        outbound_seat => 8, inbound_flight_number => 'BKJT432', inbound_date => '2025-05-02',
        inbound_seat => 2, user_id => 3)`]);
    assert.equal(stdout.trim(), 'confirmed');
    await passMarker(url, watchers);
    for (const w of watchers) {
      const updates = w.updates('BKJT999', '01/05/2025');
      assert.equal(updates.length, 1);
      assert.deepEqual(updates[0].availableSeats, []);
      assert.equal(updates[0].lastBookedSeat, 8);
    }
  });
});
