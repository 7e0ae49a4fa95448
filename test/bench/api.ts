/** API instances as child processes (apiProcess.ts), and an HTTP client pool for them. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface MemoryUsage { rss: number; heapUsed: number; sockets: number }

export interface ApiChild {
  url: string;
  memory(): Promise<MemoryUsage>;
  /** CPU time (user + system) the instance has used so far, in ms. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

export interface ApiChildOptions {
  databaseUrl: string;
  poolSize?: number;
  /** Folder for a V8 CPU profile of the instance, written when it stops. */
  cpuProfileDir?: string;
  /** BOOKING_BATCH_MAX for this instance (default: the variable, else its default). */
  bookingBatchMax?: number;
}

export async function startApiChild(options: ApiChildOptions): Promise<ApiChild> {
  const execArgv = ['--import', 'tsx', '--expose-gc'];
  if (options.cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  const child = fork(path.join(here, 'apiProcess.ts'), [], {
    execArgv,
    env: {
      ...process.env,
      BENCH_DATABASE_URL: options.databaseUrl,
      ...(options.poolSize ? { BENCH_POOL_SIZE: String(options.poolSize) } : {}),
      ...(options.bookingBatchMax ? { BOOKING_BATCH_MAX: String(options.bookingBatchMax) } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { type: string; url: string }) => resolve(m.url));
    void exited.then(() => reject(new Error('the API process exited before it was ready')));
  });
  return {
    url,
    memory: () => request<MemoryUsage>(child, 'memory'),
    cpuMs: async () => (await request<{ micros: number }>(child, 'cpu')).micros / 1000,
    async stop() {
      if (child.exitCode === null) child.send({ type: 'stop' });
      await exited;
    },
  };
}

function request<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

/** An HTTP/1.1 keep-alive pool of `connections` sockets, opened before it is used. */
export async function openHttpPool(url: string, connections: number): Promise<Pool> {
  const pool = new Pool(url, { connections, pipelining: 1 });
  await Promise.all(Array.from({ length: connections }, async () => {
    const { body } = await pool.request({ path: '/api/warm-up', method: 'GET' }); // a cheap 404
    await body.dump();
  }));
  return pool;
}

export async function postBooking(pool: Pool, body: string): Promise<{ status: number; body: string }> {
  const response = await pool.request({
    path: '/api/flight/booking', method: 'POST', headers: { 'content-type': 'application/json' }, body,
  });
  return { status: response.statusCode, body: await response.body.text() };
}
