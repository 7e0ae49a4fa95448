/**
 * The multi-instance recipe, run for real: Debian's nginx with the repository's config
 * (src/deploy/nginx.conf.template, the file docker-compose.yml uses) in front of two API processes on one
 * PostgreSQL. REST and Socket.IO (long-polling, WebSocket, and polling upgraded to WebSocket) through the
 * balancer; a booking on one instance reaching subscribers on both; one instance killed while the other
 * keeps serving; X-Request-Id passed through.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { PROJECT_ROOT } from '../src/config.ts';
import { SPEC_EXAMPLE, postBooking } from './helpers/api.ts';
import { freePort, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { startApiProcess, type ApiProcess } from './helpers/processes.ts';

const TEMPLATE = path.join(PROJECT_ROOT, 'src/deploy/nginx.conf.template');
// Debian puts nginx in /usr/sbin, which a normal user's PATH may lack.
const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

/** What the nginx image does with a template: ${NAME} replaced for the variables it is given, nothing else. */
function renderTemplate(text: string, variables: Record<string, string>): string {
  return text.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => variables[name] ?? whole);
}

interface Nginx {
  url: string;
  stop(): Promise<void>;
}

async function startNginx(servers: string[]): Promise<Nginx> {
  const dir = mkdtempSync(path.join(tmpdir(), 'blackjet-nginx-'));
  chmodSync(dir, 0o755); // nginx's workers (nobody, when started as root) write their temp files below it
  const port = await freePort();
  writeFileSync(path.join(dir, 'blackjet.conf'), renderTemplate(readFileSync(TEMPLATE, 'utf8'), {
    BLACKJET_LISTEN: `127.0.0.1:${port}`,
    BLACKJET_API_SERVERS: servers.map((server) => `server ${server};`).join(' '),
  }));
  const pidFile = path.join(dir, 'nginx.pid');
  // Only what a stand-alone nginx needs around the site file: pid, logs and temp dirs of its own.
  writeFileSync(path.join(dir, 'nginx.conf'), `
    pid ${pidFile};
    error_log ${dir}/error.log warn;
    events { worker_connections 512; }
    http {
      access_log off;
      client_body_temp_path ${dir}/client_body;
      proxy_temp_path ${dir}/proxy;
      fastcgi_temp_path ${dir}/fastcgi;
      uwsgi_temp_path ${dir}/uwsgi;
      scgi_temp_path ${dir}/scgi;
      include ${dir}/blackjet.conf;
    }
  `);
  const args = ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')];
  const check = spawnSync(NGINX, [...args, '-t'], { encoding: 'utf8' });
  assert.equal(check.status, 0, `nginx -t:\n${check.stderr}`);
  const child: ChildProcess = spawn(NGINX, [...args, '-g', 'daemon off;'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // nginx writes its pid into the pid file after it has bound the listening socket (`-t` leaves an empty file).
  const written = () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() === String(child.pid);
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (written()) resolve();
      else if (child.exitCode !== null || Date.now() - started > 10_000) reject(new Error(readFileSync(path.join(dir, 'error.log'), 'utf8')));
      else setTimeout(poll, 20);
    };
    poll();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGQUIT'); // graceful
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Transports = ('polling' | 'websocket')[];

/** A socket through the balancer, recording seats_updated; `upgrade` false keeps it on its first transport. */
async function connectThrough(url: string, transports: Transports, upgrade = true) {
  // withCredentials: socket.io-client keeps cookies in Node too, as a browser does (the balancer's key).
  const socket: Socket = io(url, { transports, upgrade, withCredentials: true, reconnection: false });
  const updates: any[] = [];
  socket.on('seats_updated', (payload) => updates.push(payload));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, updates };
}

/** Socket.IO connections an instance holds, from its own /metrics. */
async function connectionsOn(api: ApiProcess): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  return Number(/^blackjet_websocket_connections (\d+)/m.exec(text)![1]);
}

let cluster: TestCluster;
let databaseUrl: string;
let apis: ApiProcess[];
let nginx: Nginx;

before(async () => {
  cluster = await startTestCluster();
  databaseUrl = await cluster.freshDatabase();
  apis = await Promise.all([0, 1].map(() => startApiProcess(databaseUrl, { TRUST_PROXY: 'loopback', RATE_LIMIT_BOOKINGS_PER_MINUTE: '0' })));
  nginx = await startNginx(apis.map((api) => new URL(api.url).host.replace('localhost', '127.0.0.1')));
});
after(async () => {
  await nginx?.stop();
  await Promise.all((apis ?? []).map((api) => api.stop()));
  await cluster?.stop();
});

describe('nginx in front of two instances', () => {
  it('is the config docker-compose.yml gives its nginx', () => {
    const compose = readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
    assert.match(compose, /\.\/src\/deploy\/nginx\.conf\.template:\/etc\/nginx\/templates\//);
    assert.match(compose, /BLACKJET_API_SERVERS:/);
    assert.match(compose, /BLACKJET_LISTEN:/);
  });

  it('serves REST through the balancer, from both instances', async () => {
    const response = await fetch(`${nginx.url}/api/flights?flightNumber=BKJT123`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as any).items[0].flightNumber, 'BKJT123');
    // Round robin: consecutive requests alternate, so each instance answers some of them.
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      fetch(`${nginx.url}/api/flights`, { headers: { 'x-request-id': `spread-${i}` } }).then((r) => r.status)));
    assert.deepEqual(ids, [200, 200, 200, 200, 200, 200]);
    for (const api of apis) assert.match(api.output(), /spread-\d/, 'each instance logged some of them');
  });

  it("passes the caller's X-Request-Id through, and gives one when the caller has none", async () => {
    const given = await fetch(`${nginx.url}/healthz`, { headers: { 'x-request-id': 'trace-through-nginx.7' } });
    assert.equal(given.headers.get('x-request-id'), 'trace-through-nginx.7');
    const made = await fetch(`${nginx.url}/healthz`);
    assert.match(made.headers.get('x-request-id')!, /^[0-9a-f]{32}$/, "nginx's request id reached the API and came back");
  });

  it('keeps long-polling sessions on one instance, spreads clients over both, and relays a booking on one to subscribers on the other', async () => {
    // Polling-only clients until each instance holds at least one (the first request of each is balanced
    // on a random key, so they spread; the chance that 40 all land on one instance is 2^-39).
    const clients: Awaited<ReturnType<typeof connectThrough>>[] = [];
    const counts = async () => Promise.all(apis.map(connectionsOn));
    while (clients.length < 40 && (await counts()).some((n) => n === 0)) {
      clients.push(await connectThrough(nginx.url, ['polling'], false));
    }
    assert.ok((await counts()).every((n) => n > 0), `clients on each instance: ${await counts()}`);
    // A WebSocket-only client, and one that starts polling and upgrades (its upgrade request must reach
    // the instance holding its session).
    const websocket = await connectThrough(nginx.url, ['websocket']);
    const upgraded = await connectThrough(nginx.url, ['polling', 'websocket']);
    await new Promise<void>((resolve) => {
      if (upgraded.socket.io.engine.transport.name === 'websocket') resolve();
      else upgraded.socket.io.engine.once('upgrade', () => resolve());
    });
    const all = [...clients, websocket, upgraded];
    try {
      for (const client of all) {
        const ack = await client.socket.emitWithAck('subscribe', { flightNumber: 'BKJT123', date: '07/04/2025' });
        assert.equal(ack.error, undefined, JSON.stringify(ack));
      }
      // Booked directly on the first instance: every subscriber, on either instance, hears of it.
      const booked = await postBooking(apis[0]!.url, SPEC_EXAMPLE);
      assert.equal(booked.status, 201);
      await Promise.all(all.map((client) => new Promise<void>((resolve) => {
        const seen = () => client.updates.some((u) => u.flightNumber === 'BKJT123' && !u.availableSeats.includes(5));
        if (seen()) return resolve();
        client.socket.on('seats_updated', () => { if (seen()) resolve(); });
      })));
      assert.equal(upgraded.socket.io.engine.transport.name, 'websocket');
    } finally {
      for (const client of all) client.socket.close();
    }
  });

  it('keeps serving when one instance is killed', async () => {
    const [doomed, survivor] = apis as [ApiProcess, ApiProcess];
    doomed.child.kill('SIGKILL');
    await doomed.stop();
    // nginx finds the dead instance refusing connections and passes each request on to the other.
    const statuses = await Promise.all(Array.from({ length: 6 }, () => fetch(`${nginx.url}/readyz`).then((r) => r.status)));
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
    const booked = await postBooking(nginx.url, { ...SPEC_EXAMPLE, outboundSeat: 6, inboundSeat: 4 });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    // New realtime clients of either transport land on the survivor.
    for (const transports of [['polling'], ['websocket']] as Transports[]) {
      const client = await connectThrough(nginx.url, transports, false);
      const ack = await client.socket.emitWithAck('subscribe', { flightNumber: 'BKJT123', date: '07/04/2025' });
      assert.equal(ack.error, undefined, JSON.stringify(ack));
      assert.equal(ack.availableSeats.includes(6), false, 'the snapshot holds the booking made through the survivor');
      assert.ok(await connectionsOn(survivor) >= 1);
      client.socket.close();
    }
  });
});
