/**
 * Holds seen live: every hold, release, confirmation and expiry is one seats_updated per flight, in
 * version order, on every instance; expiry arrives by itself, with no traffic; and after a randomized run
 * of all of them on two instances every view equals the database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SeatMapClient } from '../src/client/seatMapClient.ts';
import type { RunningServer } from '../src/server.ts';
import { postBooking, query, startApi } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { assertMatchesContract } from './helpers/contract.ts';
import { assertSeatInvariants } from './helpers/invariants.ts';
import { allMatchDatabase, connectSocket, subscribe, untilClients, waitForEvent } from './helpers/sockets.ts';
import { SeatMapClient as Client } from '../src/client/seatMapClient.ts';

let cluster: TestCluster;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });

async function post(base: string, path: string, body: unknown) {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const result = { status: response.status, headers: response.headers, body: await response.json() as any };
  assertMatchesContract('POST', path, result);
  return result;
}
async function release(base: string, holdId: string, userId: number) {
  const response = await fetch(`${base}/api/flight/holds/${holdId}?userId=${userId}`, { method: 'DELETE' });
  await response.arrayBuffer();
  return response.status;
}

const LEG = { outboundFlightNumber: 'BKJT123', outboundDate: '07/04/2025', inboundFlightNumber: 'BKJT234', inboundDate: '08/04/2025' };

describe('one subscriber', () => {
  it('sees hold, release, confirm and expiry as consecutive versions; expiry within 2 s with no traffic', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApi(url);
    const socket = await connectSocket(api.url);
    try {
      const snapshot = await subscribe(socket, 'BKJT123', '07/04/2025');
      const next = (version: number) => waitForEvent(socket, 'seats_updated', (p) => p.flightNumber === 'BKJT123' && p.version === version);
      const view = (u: any) => [u.availableSeats, u.heldSeats, u.lastBookedSeat, u.releasedSeat];
      let v = snapshot.version as number;

      const held = await post(api.url, '/api/flight/holds', { ...LEG, outboundSeats: [5], inboundSeats: [3], userId: 1 });
      assert.deepEqual(view(await next(++v)), [[1, 2, 6, 7], [5], null, null]);
      assert.equal(await release(api.url, held.body.holdId, 1), 204);
      assert.deepEqual(view(await next(++v)), [[1, 2, 5, 6, 7], [], null, 5]);

      const second = await post(api.url, '/api/flight/holds', { ...LEG, outboundSeats: [6, 7], inboundSeats: [2, 4], userId: 1 });
      assert.deepEqual(view(await next(++v)), [[1, 2, 5], [6, 7], null, null]);
      assert.equal((await post(api.url, `/api/flight/holds/${second.body.holdId}/confirm`, { userId: 1 })).status, 201);
      assert.deepEqual(view(await next(++v)), [[1, 2, 5], [], 7, null]);

      const third = await post(api.url, '/api/flight/holds', { ...LEG, outboundSeats: [5], inboundSeats: [3], userId: 2 });
      assert.deepEqual(view(await next(++v)), [[1, 2], [5], null, null]);
      // Its time runs out in 300 ms; nobody sends anything after that.
      const [{ expires_at: expiresAt }] = await query(url, `update seat_holds set expires_at = clock_timestamp() + interval '300 ms'
        where id = $1 returning expires_at`, [third.body.holdId]);
      const expired = await next(++v);
      const lag = Date.now() - expiresAt.getTime();
      assert.deepEqual(view(expired), [[1, 2, 5], [], null, 5]);
      assert.ok(lag < 2_000, `seats came back ${lag} ms after expiry`);
      assert.equal(socket.updates('BKJT123', '07/04/2025').length, 6, 'one update per change, no more');
      await assertSeatInvariants(url);
    } finally {
      socket.close();
      await api.close();
    }
  });
});

// Flights for the randomized run, in date order: any earlier one with any later one is a valid round trip.
const SCHEDULE = [
  ['BKJT456', '07/04/2025', '2025-04-07'], ['BKJT123', '07/04/2025', '2025-04-07'], ['BKJT234', '08/04/2025', '2025-04-08'],
  ['BKJT234', '09/04/2025', '2025-04-09'], ['BKJT789', '12/04/2025', '2025-04-12'],
] as const;

async function clientsOn(servers: RunningServer[]): Promise<SeatMapClient[]> {
  const clients: SeatMapClient[] = [];
  for (const server of servers) {
    for (const namespace of ['', '/flights']) {
      const client = new Client(`${server.url}${namespace}`);
      for (const [flightNumber, date] of SCHEDULE) await client.subscribe({ flightNumber, date });
      clients.push(client);
    }
  }
  return clients;
}

const randomSeats = (n: number) => [1, 2, 3, 4, 5, 6, 7, 8].sort(() => Math.random() - 0.5).slice(0, n);

describe('a randomized run on two instances', () => {
  it('holds, releases, confirms, expiries, party and single bookings: versions only grow, every view ends at the database', async () => {
    const url = await cluster.freshDatabase();
    const servers = [await startApi(url, { holdTtlSeconds: 2 }), await startApi(url, { holdTtlSeconds: 2 })];
    const clients = await clientsOn(servers);
    const seen = new Map<string, number[]>();
    clients.forEach((client, i) => client.socket.on('seats_updated', (u: { flightNumber: string; date: string; version: number }) => {
      const key = `${i} ${u.flightNumber} ${u.date}`;
      seen.set(key, [...(seen.get(key) ?? []), u.version]);
    }));
    const counts: Record<string, number> = {};
    const count = (what: string) => { counts[what] = (counts[what] ?? 0) + 1; };
    try {
      // One hold nobody confirms or releases: at least one expiry in every run, whatever the dice say.
      let kept = 0;
      for (let attempt = 0; attempt < 20 && kept === 0; attempt++) {
        const held = await post(servers[0]!.url, '/api/flight/holds', {
          outboundFlightNumber: SCHEDULE[0]![0], outboundDate: SCHEDULE[0]![1],
          inboundFlightNumber: SCHEDULE[1]![0], inboundDate: SCHEDULE[1]![1],
          outboundSeats: randomSeats(1), inboundSeats: randomSeats(1), userId: 1,
        });
        if (held.status === 201) kept++;
      }
      assert.equal(kept, 1, 'a hold to leave to expire');
      const worker = async (w: number) => {
        const mine: { holdId: string; userId: number }[] = [];
        const booked: string[] = [];
        for (let n = 0; n < 20; n++) {
          const base = servers[(w + n) % 2]!.url;
          const i = Math.floor(Math.random() * (SCHEDULE.length - 1));
          const j = i + 1 + Math.floor(Math.random() * (SCHEDULE.length - i - 1));
          const [out, back] = [SCHEDULE[i]!, SCHEDULE[j]!];
          const party = 1 + Math.floor(Math.random() * 2);
          const trip = {
            outboundFlightNumber: out[0], outboundDate: out[1], inboundFlightNumber: back[0], inboundDate: back[1],
            userId: 1 + Math.floor(Math.random() * 20),
          };
          const roll = Math.random();
          if (roll < 0.15 && mine.length > 0) {
            const { holdId, userId } = mine.splice(Math.floor(Math.random() * mine.length), 1)[0]!;
            const confirmed = await post(base, `/api/flight/holds/${holdId}/confirm`, { userId });
            assert.ok(confirmed.status === 201 || confirmed.status === 410, `confirm: ${confirmed.status}`);
            count(confirmed.status === 201 ? 'confirmed' : 'confirm too late');
            if (confirmed.status === 201) booked.push(confirmed.body.bookingId);
          } else if (roll < 0.3 && mine.length > 0) {
            const { holdId, userId } = mine.splice(Math.floor(Math.random() * mine.length), 1)[0]!;
            assert.equal(await release(base, holdId, userId), 204);
            count('released');
          } else if (roll < 0.45 && booked.length > 0) {
            // A cancellation frees seats for the rest of the run.
            const bookingId = booked.splice(Math.floor(Math.random() * booked.length), 1)[0]!;
            const response = await fetch(`${base}/api/flight/booking/${bookingId}`, { method: 'DELETE' });
            assert.equal(response.status, 200);
            await response.arrayBuffer();
            count('cancelled');
          } else if (roll < 0.6) {
            const body = party === 1 && Math.random() < 0.5
              ? { ...trip, outboundSeat: randomSeats(1)[0], inboundSeat: randomSeats(1)[0] }
              : { ...trip, outboundSeats: randomSeats(party), inboundSeats: randomSeats(party) };
            const answer = await postBooking(base, body);
            assert.ok(answer.status === 201 || answer.status === 409, `booking: ${answer.status}`);
            count(answer.status === 201 ? 'booked' : 'refused');
            if (answer.status === 201) booked.push(answer.body.bookingId);
          } else {
            const held = await post(base, '/api/flight/holds', { ...trip, outboundSeats: randomSeats(party), inboundSeats: randomSeats(party) });
            assert.ok(held.status === 201 || held.status === 409, `hold: ${held.status}`);
            count(held.status === 201 ? 'held' : 'refused');
            if (held.status === 201) {
              mine.push({ holdId: held.body.holdId, userId: trip.userId });
              // Some holds are left to run out, sooner than their TTL.
              if (Math.random() < 0.3) {
                await query(url, "update seat_holds set expires_at = clock_timestamp() + random() * interval '300 ms' where id = $1", [held.body.holdId]);
              }
            }
          }
        }
      };
      await Promise.all([0, 1, 2, 3].map(worker));
      for (const what of ['held', 'booked', 'refused']) assert.ok(counts[what], `no ${what} in ${JSON.stringify(counts)}`);

      // Let every hold that was left run out, and wait for the sweeper to free them: then every view equals
      // the database, held seats included.
      await query(url, "update seat_holds set expires_at = clock_timestamp() where status = 'active'");
      assert.ok((counts.confirmed ?? 0) + (counts.released ?? 0) > 0, `no hold confirmed or released: ${JSON.stringify(counts)}`);
      await untilClients(clients, async () => {
        const [{ n }] = await query(url, "select count(*)::int as n from seat_holds where status = 'active'");
        return n === 0 && await allMatchDatabase(url, clients, SCHEDULE);
      });
      const [{ expired }] = await query(url, "select count(*)::int as expired from seat_holds where status = 'expired'");
      const statuses = await query(url, 'select status, count(*)::int as n from seat_holds group by 1');
      assert.ok(expired > 0, `some holds expired: ${JSON.stringify(statuses)} ${JSON.stringify(counts)}`);
      for (const [key, versions] of seen) {
        assert.ok(versions.every((v, k) => k === 0 || v > versions[k - 1]!), `${key}: ${versions}`);
      }
      await assertSeatInvariants(url);
    } finally {
      for (const c of clients) c.close();
      for (const s of servers) await s.close();
    }
  });
});
