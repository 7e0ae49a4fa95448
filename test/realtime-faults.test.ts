/**
 * Lost connections on either side, and a randomized run: whatever happens, every subscriber ends at the
 * database's seat map.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { SeatMapClient } from '../src/client/seatMapClient.ts';
import { LISTENER_APPLICATION_NAME } from '../src/realtime/listener.ts';
import type { RunningServer } from '../src/server.ts';
import { postBooking, query, startApi } from './helpers/api.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { allMatchDatabase, databaseSeatMap, nextSocketEvent, untilClients } from './helpers/sockets.ts';

let cluster: TestCluster;
before(async () => { cluster = await startTestCluster(); });
after(async () => { await cluster.stop(); });

// Flights on one date, so any two make a valid round trip in either direction.
const SAME_DAY = [['BKJT123', '07/04/2025', '2025-04-07'], ['BKJT456', '07/04/2025', '2025-04-07']] as const;
// Flights used by the randomized run (outbound date <= inbound date is kept by picking in this order).
const SCHEDULE = [
  ['BKJT456', '07/04/2025', '2025-04-07'], ['BKJT123', '07/04/2025', '2025-04-07'], ['BKJT234', '08/04/2025', '2025-04-08'],
  ['BKJT234', '09/04/2025', '2025-04-09'], ['BKJT789', '12/04/2025', '2025-04-12'], ['BKJT345', '15/04/2025', '2025-04-15'],
] as const;

async function clientsOn(servers: RunningServer[], flights: readonly (readonly [string, string, string])[]): Promise<SeatMapClient[]> {
  const clients: SeatMapClient[] = [];
  for (const server of servers) {
    for (const namespace of ['', '/flights']) {
      const client = new SeatMapClient(`${server.url}${namespace}`);
      for (const [flightNumber, date] of flights) await client.subscribe({ flightNumber, date });
      clients.push(client);
    }
  }
  return clients;
}

async function bookDirectly(url: string, outbound: readonly [string, string, string], inbound: readonly [string, string, string], outSeat: number, inSeat: number, userId: number) {
  return query(url, `select book_round_trip(outbound_flight_number => $1, outbound_date => $2, outbound_seat => $3,
      inbound_flight_number => $4, inbound_date => $5, inbound_seat => $6, user_id => $7)`,
  [outbound[0], outbound[2], outSeat, inbound[0], inbound[2], inSeat, userId]).then(() => true, () => false);
}

describe('the listener loses its connection', () => {
  it('killed with pg_terminate_backend while bookings continue: every subscriber converges, live updates resume', async () => {
    const url = await cluster.freshDatabase();
    const api = await startApi(url);
    const clients = await clientsOn([api], SAME_DAY);
    try {
      const resynced = once(api.listener, 'resync');
      const bookings = (async () => {
        // A stream of bookings across the kill.
        for (let i = 0; i < 12; i++) await bookDirectly(url, SAME_DAY[i % 2]!, SAME_DAY[(i + 1) % 2]!, 1 + (i % 8), 1 + ((i * 5) % 8), 1 + i);
      })();
      const [killed] = await query(url, 'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = $1 and datname = current_database()',
        [LISTENER_APPLICATION_NAME]);
      assert.equal(killed.n, 1);
      await bookings;
      await resynced;
      await untilClients(clients, () => allMatchDatabase(url, clients, SAME_DAY));

      // Live again: the next booking arrives as an update.
      const before = clients.map((c) => c.seatMaps.get(SeatMapClient.key('BKJT123', '07/04/2025'))!.version);
      const free = (await databaseSeatMap(url, 'BKJT123', '2025-04-07')).availableSeats;
      const freeBack = (await databaseSeatMap(url, 'BKJT456', '2025-04-07')).availableSeats;
      assert.ok(free.length > 0 && freeBack.length > 0);
      assert.ok(await bookDirectly(url, SAME_DAY[0], SAME_DAY[1], free[0]!, freeBack[0]!, 20));
      await untilClients(clients, () => allMatchDatabase(url, clients, SAME_DAY));
      clients.forEach((c, i) => assert.equal(c.seatMaps.get(SeatMapClient.key('BKJT123', '07/04/2025'))!.version, before[i]! + 1));
      assert.equal(api.listener.stats.reconnects, 1);
    } finally {
      for (const c of clients) c.close();
      await api.close();
    }
  });
});

describe('a client loses its connection', () => {
  for (const [how, drop] of [
    ['transport dropped (connection state recovered)', (c: SeatMapClient) => c.socket.io.engine.close()],
    ['disconnected and reconnected (no recovery: re-subscribes)', (c: SeatMapClient) => { c.socket.disconnect(); }],
  ] as const) {
    it(`${how}: ends at the database truth`, async () => {
      const url = await cluster.freshDatabase();
      const api = await startApi(url);
      const clients = await clientsOn([api], SAME_DAY);
      const client = clients[0];
      try {
        const disconnected = nextSocketEvent(client!.socket, 'disconnect');
        drop(client!);
        await disconnected;
        // Listening before the bookings: a dropped transport reconnects by itself, possibly while they run.
        const reconnected = nextSocketEvent(client!.socket, 'connect');
        for (let i = 0; i < 3; i++) assert.ok(await bookDirectly(url, SAME_DAY[0], SAME_DAY[1], [1, 2, 5][i]!, [2, 3, 5][i]!, i + 1));
        if (!client!.socket.active) client!.socket.connect();
        await reconnected;
        assert.equal(client!.socket.recovered, how.startsWith('transport'));
        await untilClients([client!], () => allMatchDatabase(url, [client!], SAME_DAY));
        assert.deepEqual(client!.seatMaps.get(SeatMapClient.key('BKJT123', '07/04/2025'))!.availableSeats, [6, 7]);
      } finally {
        for (const c of clients) c.close();
        await api.close();
      }
    });
  }
});

describe('a randomized run', () => {
  it('bookings and cancellations at random for a few seconds on two instances: every view ends at the database, versions only grow', async () => {
    const url = await cluster.freshDatabase();
    const servers = [await startApi(url), await startApi(url)];
    const clients = await clientsOn(servers, SCHEDULE);
    const seen = new Map<string, number[]>(); // raw seats_updated versions per client and flight
    clients.forEach((client, i) => client.socket.on('seats_updated', (u: { flightNumber: string; date: string; version: number }) => {
      const key = `${i} ${u.flightNumber} ${u.date}`;
      seen.set(key, [...(seen.get(key) ?? []), u.version]);
    }));
    try {
      const deadline = Date.now() + 3_000;
      let statuses: number[] = [];
      const worker = async (w: number) => {
        let n = 0;
        while (Date.now() < deadline) {
          n++;
          const i = Math.floor(Math.random() * SCHEDULE.length);
          const j = i + Math.floor(Math.random() * (SCHEDULE.length - i - 1)) + 1;
          if (j >= SCHEDULE.length) continue;
          const [out, back] = [SCHEDULE[i]!, SCHEDULE[j]!];
          if (Math.random() < 0.2) {
            // A DBA frees a seat by hand.
            await query(url, `delete from seats where ctid = (select s.ctid from seats s join flights f on f.id = s.flight_id
              where f.flight_number = $1 and f.flight_date = $2 order by random() limit 1)`, [out[0], out[2]]);
            continue;
          }
          const response = await postBooking(servers[(w + n) % 2]!.url, {
            outboundFlightNumber: out[0], outboundDate: out[1], outboundSeat: 1 + Math.floor(Math.random() * 8),
            inboundFlightNumber: back[0], inboundDate: back[1], inboundSeat: 1 + Math.floor(Math.random() * 8),
            userId: 1 + Math.floor(Math.random() * 20),
          });
          statuses.push(response.status);
        }
      };
      await Promise.all([0, 1, 2, 3].map(worker));
      assert.ok(statuses.includes(201), 'some bookings succeeded');
      assert.ok(statuses.every((s) => s === 201 || s === 409), `unexpected status in ${[...new Set(statuses)]}`);

      await untilClients(clients, () => allMatchDatabase(url, clients, SCHEDULE));
      for (const [key, versions] of seen) {
        assert.ok(versions.every((v, k) => k === 0 || v > versions[k - 1]!), `${key}: ${versions}`);
      }
    } finally {
      for (const c of clients) c.close();
      for (const s of servers) await s.close();
    }
  });
});
