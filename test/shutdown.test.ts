/**
 * Graceful shutdown of a real API process: SIGTERM in the middle of a burst of bookings, and a second
 * signal that cuts a stuck drain short.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { postBooking, query } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { startApiProcess } from './helpers/processes.ts';
import { connectSocket, nextSocketEvent, subscribe } from './helpers/sockets.ts';

let cluster: TestCluster;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });

// Flights of one day, so any pair makes a valid round trip.
const SAME_DAY = ['BKJT123', 'BKJT456'];

describe('SIGTERM', () => {
  it('during a burst of bookings: every request is answered or refused cleanly, every 201 is in the database', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApiProcess(url, { SHUTDOWN_TIMEOUT_MS: '10000', RATE_LIMIT_BOOKINGS_PER_MINUTE: '0' });
    const watcher = await connectSocket(api.url);
    assert.equal((await subscribe(watcher, 'BKJT123', '07/04/2025')).error, undefined);
    const shutdownNotice = nextSocketEvent(watcher.socket, 'server_shutdown');

    const answered: { status: number; bookingId?: string }[] = [];
    const refused: string[] = [];
    let sent = 0;
    const worker = async (w: number) => {
      for (let i = 0; ; i++) {
        const out = SAME_DAY[(w + i) % 2]!;
        const back = SAME_DAY[(w + i + 1) % 2]!;
        sent++;
        try {
          const response = await postBooking(api.url, {
            outboundFlightNumber: out, outboundDate: '07/04/2025', outboundSeat: 1 + ((w + i) % 8),
            inboundFlightNumber: back, inboundDate: '07/04/2025', inboundSeat: 1 + ((w * 3 + i) % 8), userId: 1 + (w % 20),
          });
          answered.push({ status: response.status, bookingId: response.body?.bookingId });
        } catch (e) {
          refused.push(String((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message));
          return; // the server is gone for this client
        }
      }
    };
    const workers = Array.from({ length: 20 }, (_, w) => worker(w));
    await new Promise<void>((resolve) => { const check = () => (answered.length >= 40 ? resolve() : setImmediate(check)); check(); });
    const exitCode = api.stop(); // SIGTERM
    await Promise.all(workers);

    assert.equal(await exitCode, 0, api.output());
    assert.deepEqual(await shutdownNotice, { reason: 'server shutting down', reconnect: true });
    assert.equal(answered.length + refused.length, sent, 'every request either answered or refused');
    assert.ok(answered.every((a) => a.status === 201 || a.status === 409), `statuses: ${[...new Set(answered.map((a) => a.status))]}`);
    assert.ok(refused.every((code) => ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'other side closed'].some((c) => code.includes(c))), refused.join());
    const confirmed = answered.filter((a) => a.status === 201).map((a) => a.bookingId).sort();
    const stored = (await query(url, 'select id::text from bookings order by 1')).map((r) => r.id);
    assert.deepEqual(stored, confirmed, 'the database holds exactly the bookings that were answered 201');
    assert.match(api.output(), /"msg":"stopped"/);
    watcher.close();
  });

  it('a second signal exits at once, even while a request is stuck', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApiProcess(url, { SHUTDOWN_TIMEOUT_MS: '60000' });
    // A request whose body never finishes arriving: it stays in flight, so the drain would wait a minute.
    const { port } = new URL(api.url);
    const stuck = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => stuck.once('connect', resolve));
    stuck.on('error', () => {});
    // `Expect: 100-continue`: the server answers "100 Continue" once it has the request, so we know it is in flight.
    const seen = new Promise((resolve) => stuck.once('data', resolve));
    stuck.write('POST /api/flight/booking HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n');
    assert.match(String(await seen), /100 Continue/);
    stuck.write('{"outbound');
    api.child.kill('SIGTERM'); // starts a drain that cannot finish
    await new Promise<void>((resolve) => { api.child.stdout!.on('data', () => { if (api.output().includes('shutting down')) resolve(); }); });
    assert.match(api.output(), /"inFlight":1/);
    const started = Date.now();
    api.child.kill('SIGTERM');
    assert.equal(await api.stop(), 1);
    assert.ok(Date.now() - started < 3_000);
    assert.match(api.output(), /second signal: exiting now/);
    stuck.destroy();
  });
});
