/**
 * `npm run bench`: how fast bookings and live updates are, beside what PostgreSQL itself does.
 *
 *   npm run bench                      full run (about 4 minutes)
 *   npm run bench -- --smoke           every scenario, tiny and short (a correctness check of the bench)
 *   npm run bench -- --runs 3 --duration 3 --concurrency 8 --clients 1000 --only throughput,fanout
 *   npm run bench -- --cpu-prof        V8 CPU profiles of the API processes into bench-results/profiles/
 *
 * Runs on the embedded PostgreSQL (a fresh durable cluster) or, with DATABASE_URL, in a throwaway
 * database on that server. Prints a table and writes it as JSON to bench-results/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, PROJECT_ROOT } from '../../src/config.ts';
import { DEFAULT_POOL_SIZE } from '../../src/db/client.ts';
import type { Pool } from 'undici';
import { type ApiChild, openHttpPool, startApiChild } from './api.ts';
import { runBatched } from './batched.ts';
import { runContention, type ContentionRun } from './contention.ts';
import { type BenchDatabase, openBenchDatabase, type TriggerMode } from './database.ts';
import { runDirectSql, type LoopOptions } from './directSql.ts';
import { runFanout, type FanoutResult } from './fanout.ts';
import { runHttp } from './http.ts';
import { runInteractive } from './interactive.ts';
import { runSearch, type SearchResult, topUpFlights } from './search.ts';
import { type RelayRun, watchRelay } from './relay.ts';
import { median, medianOf, type ThroughputRun } from './stats.ts';
import { TripSource } from './workload.ts';

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    runs: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    concurrency: { type: 'string' },
    wide: { type: 'string' },
    subscribers: { type: 'string' },
    scenarios: { type: 'string' },
    flights: { type: 'string' },
    clients: { type: 'string' },
    contention: { type: 'string' },
    'pool-size': { type: 'string' },
    only: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'search-flights': { type: 'string' },
  },
});

const smoke = args.smoke;
const config = {
  runs: Number(args.runs ?? (smoke ? 1 : 5)),
  durationS: Number(args.duration ?? (smoke ? 0.5 : 5)),
  warmupS: Number(args.warmup ?? (smoke ? 0.2 : 1)),
  concurrency: Number(args.concurrency ?? (smoke ? 4 : 16)),
  /** The high-load figures: HTTP, direct SQL and the interactive design at this many clients. */
  wideConcurrency: Number(args.wide ?? (smoke ? 8 : 64)),
  /** Subscribers watching the flights booked during the HTTP run (the relay under load). */
  relaySubscribers: Number(args.subscribers ?? (smoke ? 50 : 1000)),
  flights: Number(args.flights ?? (smoke ? 2_000 : 100_000)),
  clients: (args.clients ?? (smoke ? '50,100' : '1000,5000')).split(',').map(Number),
  contentionRequests: Number(args.contention ?? 100),
  poolSize: args['pool-size'] ? Number(args['pool-size']) : undefined,
  /** BOOKING_BATCH_MAX and BOOKING_CONNECTIONS of the API instances, from the environment as in production. */
  booking: loadConfig(process.env).booking,
  scenarios: new Set((args.only ?? 'throughput,contention,fanout,search').split(',')),
  searchFlights: Number(args['search-flights'] ?? (smoke ? 5_000 : 1_000_000)),
  searchRequests: smoke ? 20 : 500,
  /** Throughput scenarios to run (names as in SCENARIOS); default all. For focused tuning. */
  throughputScenarios: args.scenarios?.split(','),
};
/** Above this many subscribers, the fan-out is split over two API instances. */
const SPLIT_ABOVE = 2_000;
const TARGETS = {
  httpOverDirect: 2.5, httpOverInteractive: 2, wideOverBase: 1, httpTriggerShare: 0.8, lowLoadP50: 1.1, httpP99Ms: 50,
  relayP99Ms: 100, fanoutP99Ms: { small: 50, large: 250 },
};
/** The low-load latency figures. */
const LOW_LOAD = [1, 4];

const log = (line: string) => console.log(`  ${line}`);
const resultsDir = path.join(PROJECT_ROOT, 'bench-results');

function checkOpenFiles(): void {
  const largest = Math.max(0, ...config.clients.map((n) => (n > SPLIT_ABOVE ? Math.ceil(n / 2) : n)));
  const limit = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim());
  const needed = largest + 512;
  if (Number.isFinite(limit) && limit < needed) {
    console.error(`bench: the fan-out holds ${largest} connections in one process, but \`ulimit -n\` is ${limit}.\n` +
      `Raise it (\`ulimit -n ${Math.max(needed, 8192)}\` in this shell) or ask for fewer clients (--clients 500).`);
    process.exit(1);
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/**
 * `clients`: 'base' (--concurrency, 16), 'wide' (--wide, 64), or a fixed number (the low-load latency rows).
 * `api`: 'unbatched' runs against a second instance with BOOKING_BATCH_MAX=1 (batching off).
 */
const SCENARIOS = {
  direct: { label: 'direct SQL: book_round_trip() (reference)', trigger: 'on', clients: 'base' },
  http: { label: 'HTTP: POST /api/flight/booking', trigger: 'on', clients: 'base' },
  interactive: { label: 'usual design: interactive transaction', trigger: 'on', clients: 'base' },
  batched: { label: 'direct SQL, batched: book_round_trips() via the booking queue', trigger: 'on', clients: 'base' },
  httpNoTrigger: { label: 'HTTP, seat-change trigger off', trigger: 'off', clients: 'base' },
  directWide: { label: 'direct SQL: book_round_trip(), more clients', trigger: 'on', clients: 'wide' },
  httpWide: { label: 'HTTP: POST /api/flight/booking, more clients', trigger: 'on', clients: 'wide' },
  interactiveWide: { label: 'usual design, more clients', trigger: 'on', clients: 'wide' },
  directNoTrigger: { label: 'direct SQL, seat-change trigger off', trigger: 'off', clients: 'base' },
  directNoNotify: { label: 'direct SQL, trigger without its pg_notify (diagnostic)', trigger: 'no-notify', clients: 'base' },
  directAsyncCommit: { label: 'direct SQL, synchronous_commit off (diagnostic, not durable)', trigger: 'on', clients: 'base' },
  interactiveNoTrigger: { label: 'interactive transaction, trigger off (diagnostic)', trigger: 'off', clients: 'base' },
  http1: { label: 'HTTP, 1 client', trigger: 'on', clients: 1 },
  http1Unbatched: { label: 'HTTP, 1 client, batching off (BOOKING_BATCH_MAX=1)', trigger: 'on', clients: 1, api: 'unbatched' },
  http4: { label: 'HTTP, 4 clients', trigger: 'on', clients: 4 },
  http4Unbatched: { label: 'HTTP, 4 clients, batching off (BOOKING_BATCH_MAX=1)', trigger: 'on', clients: 4, api: 'unbatched' },
} as const satisfies Record<string, { label: string; trigger: TriggerMode; clients: 'base' | 'wide' | number; api?: 'unbatched' }>;
type Scenario = keyof typeof SCENARIOS;

interface Ratios {
  httpOverDirect: number;
  httpWideOverDirectWide: number;
  httpOverInteractive: number;
  httpWideOverInteractiveWide: number;
  /** HTTP at --wide clients over HTTP at --concurrency: throughput must not fall as load grows. */
  httpWideOverHttp: number;
  /** HTTP with the seat-change trigger over HTTP without it: what live updates leave. */
  httpTriggerShare: number;
  batchedOverDirect: number;
  /** p50 with batching over p50 without, at 1 and at 4 clients. */
  lowLoadP50Ratio1: number;
  lowLoadP50Ratio4: number;
  oursOverInteractive: number;
  liveUpdateCost: number;
  /** The trigger's own work (version bump, seat map, payload), without the NOTIFY. */
  triggerWorkCost?: number;
  /** Trigger on, commits not waiting for their WAL flush (which NOTIFY's lock spans), beside the trigger without pg_notify. */
  asyncCommitShare?: number;
  oursOverInteractiveNoTrigger: number;
}

interface ThroughputScenarios {
  runs: Partial<Record<Scenario, ThroughputRun[]>>;
  /** The relay watched during each `http` run. */
  relay: RelayRun[];
  relaySubscribers: number;
  /** Per run, each ratio of two figures measured in that run. */
  ratios: Ratios[];
}

async function main(): Promise<void> {
  checkOpenFiles();
  const startedAt = new Date();
  const host = machine();
  console.log(`BlackJet bench${smoke ? ' (smoke: tiny and short, figures mean nothing)' : ''}`);
  log(`${host.cores} cores (${host.cpu}), ${host.memoryGiB} GiB, ${host.os}, Node ${host.node}`);
  const db = await openBenchDatabase({ flights: config.flights, log });
  // Interrupted: still drop the bench database (and its cluster and data dir); children get the signal too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { void db.close().finally(() => process.exit(130)); });
  }
  const pg = db.server;
  log(`PostgreSQL ${pg.version} (${pg.kind}), ${Object.entries(pg.settings).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  const cpuProfileDir = args['cpu-prof'] ? path.join(resultsDir, 'profiles') : undefined;
  const loop: LoopOptions = { concurrency: config.concurrency, durationMs: config.durationS * 1000, warmupMs: config.warmupS * 1000 };

  let throughput: ThroughputScenarios | undefined;
  const contention: ContentionRun[] = [];
  const fanout: FanoutResult[] = [];
  let search: SearchResult | undefined;
  try {
    if (config.scenarios.has('throughput') || config.scenarios.has('contention')) {
      const api = await startApiChild({ databaseUrl: db.url, poolSize: config.poolSize, cpuProfileDir });
      const http = await openHttpPool(api.url, Math.max(config.concurrency, config.wideConcurrency, config.contentionRequests));
      try {
        if (config.scenarios.has('throughput')) throughput = await runThroughput(db, { api, http }, loop);
        if (config.scenarios.has('contention')) {
          await db.reset();
          const trips = new TripSource(db.flights);
          console.log(`contention: ${config.contentionRequests} simultaneous requests for one seat, ${config.runs} runs`);
          for (let run = 1; run <= Math.min(config.runs, 8); run++) {
            const result = await runContention(db, http, config.contentionRequests, run, trips);
            contention.push(result);
            log(`run ${run}: ${result.created} x 201, ${result.conflicts} x 409, ${result.other} other; 409 p50 ${ms(result.conflictP50)} p99 ${ms(result.conflictP99)}`);
          }
        }
      } finally {
        await http.close();
        await api.stop();
      }
    }
    if (config.scenarios.has('fanout')) {
      for (const subscribers of config.clients) {
        await db.reset();
        const instances = subscribers > SPLIT_ABOVE ? 2 : 1;
        console.log(`fan-out: ${subscribers} subscribers on ${instances} instance(s), ${Math.min(config.runs, 7)} bookings`);
        const result = await runFanout(db, { subscribers, instances, runs: Math.min(config.runs, 7), cpuProfileDir });
        fanout.push(result);
        for (const [i, r] of result.runs.entries()) {
          log(`run ${i + 1}: ${r.received}/${r.expected} received; p50 ${ms(r.p50)} p99 ${ms(r.p99)} max ${ms(r.max)}`);
        }
      }
    }
    if (config.scenarios.has('search')) {
      // Last: it grows the schedule, which the other scenarios are measured without.
      await db.reset();
      const flights = await topUpFlights(db.url, config.searchFlights, log);
      const api = await startApiChild({ databaseUrl: db.url, poolSize: config.poolSize, cpuProfileDir });
      const http = await openHttpPool(api.url, 1);
      try {
        console.log(`search: ${config.searchRequests} searches and seat-map reads, one at a time, at ${num(flights)} flights`);
        search = await runSearch(db.url, http, flights, db.flights, config.searchRequests);
        log(`search p50 ${ms(search.search.p50)} p99 ${ms(search.search.p99)}; seat map p50 ${ms(search.seatMap.p50)} p99 ${ms(search.seatMap.p99)}`);
      } finally {
        await http.close();
        await api.stop();
      }
    }
  } finally {
    await db.close();
  }

  const report = {
    startedAt: startedAt.toISOString(),
    elapsedS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    smoke,
    machine: host,
    postgres: pg,
    config: { ...config, scenarios: [...config.scenarios] },
    throughput: throughput && {
      runs: throughput.runs,
      ratios: throughput.ratios,
      relay: throughput.relay,
      relaySubscribers: throughput.relaySubscribers,
      medians: Object.fromEntries(Object.entries(throughput.runs).map(([name, runs]) => [name, medianOf(runs)])) as Partial<Record<Scenario, ThroughputRun>>,
      ratioMedians: medianOf(throughput.ratios) as Ratios,
    },
    contention: contention.length ? { runs: contention, medians: medianOf(contention) } : undefined,
    fanout: fanout.map((f) => ({ ...f, medians: medianOf(f.runs) })),
    search,
  };
  const table = renderTable(report);
  console.log(`\n${table}`);
  mkdirSync(resultsDir, { recursive: true });
  // A smoke run's figures mean nothing: it never replaces latest.json.
  const file = path.join(resultsDir, smoke ? 'smoke.json' : `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = JSON.stringify({ ...report, table }, null, 2);
  writeFileSync(file, json);
  if (!smoke) writeFileSync(path.join(resultsDir, 'latest.json'), json);
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}${smoke ? '' : ' (and bench-results/latest.json)'} in ${report.elapsedS} s`);

  const broken = correctnessProblems(report);
  if (broken.length) {
    console.error(`\nbench: the system misbehaved under load:\n  ${broken.join('\n  ')}`);
    process.exitCode = 1;
  }
}

interface HttpTarget { api: ApiChild; http: Pool }

/** An HTTP run, with the API process's CPU time per booking. */
async function httpRun(db: BenchDatabase, target: HttpTarget, loop: LoopOptions): Promise<ThroughputRun> {
  const cpuBefore = await target.api.cpuMs();
  const result = await runHttp(db, target.http, loop);
  const cpu = await target.api.cpuMs() - cpuBefore;
  return { ...result, apiCpuMs: cpu / Math.max(1, result.completed + result.errors) };
}

/** Each run measures every throughput scenario back to back, in a rotating order, each after a reset. */
async function runThroughput(db: BenchDatabase, main: HttpTarget, base: LoopOptions): Promise<ThroughputScenarios> {
  const names = (Object.keys(SCENARIOS) as Scenario[])
    .filter((name) => name !== 'directNoNotify' || db.canSkipNotify)
    .filter((name) => !config.throughputScenarios || config.throughputScenarios.includes(name));
  const needsUnbatched = names.some((name) => 'api' in SCENARIOS[name]);
  let unbatched: HttpTarget | undefined;
  if (needsUnbatched) {
    const api = await startApiChild({ databaseUrl: db.url, poolSize: config.poolSize, bookingBatchMax: 1 });
    unbatched = { api, http: await openHttpPool(api.url, Math.max(...LOW_LOAD)) };
  }
  const relay = names.includes('http') ? await watchRelay(db, main.api.url, config.relaySubscribers) : undefined;
  const out: ThroughputScenarios = { runs: {}, ratios: [], relay: [], relaySubscribers: config.relaySubscribers };
  try {
    if (relay?.connectFailures) console.warn(`relay: ${relay.connectFailures} subscribers failed to connect`);
    const loopFor = (name: Scenario): LoopOptions => {
      const { clients } = SCENARIOS[name];
      return { ...base, concurrency: clients === 'base' ? base.concurrency : clients === 'wide' ? config.wideConcurrency : clients };
    };
    const drive = (name: Scenario): Promise<ThroughputRun> => {
      const loop = loopFor(name);
      switch (name) {
        case 'direct': case 'directWide': case 'directNoTrigger': case 'directNoNotify': return runDirectSql(db, loop);
        case 'directAsyncCommit': return runDirectSql(db, { ...loop, asyncCommit: true });
        case 'interactive': case 'interactiveWide': case 'interactiveNoTrigger': return runInteractive(db, loop);
        case 'batched': return runBatched(db, loop);
        case 'http1Unbatched': case 'http4Unbatched': return httpRun(db, unbatched!, loop);
        case 'http': {
          if (!relay) return httpRun(db, main, loop);
          return relay.during(() => httpRun(db, main, loop)).then(({ result, relay: r }) => {
            out.relay.push(r);
            log(`relay: ${r.received}/${r.expected} updates to ${relay.subscribers} subscribers; commit -> receipt p50 ${ms(r.p50)} p99 ${ms(r.p99)}`);
            return result;
          });
        }
        default: return httpRun(db, main, loop);
      }
    };
    console.log(`throughput: ${config.concurrency} concurrent clients (${config.wideConcurrency} for the "more clients" rows), ` +
      `${config.runs} runs of ${config.durationS} s (+${config.warmupS} s warm-up) per scenario`);
    for (let run = 0; run < config.runs; run++) {
      const results: Partial<Record<Scenario, ThroughputRun>> = {};
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + run) % names.length]!;
        await db.reset();
        await db.setTrigger(SCENARIOS[name].trigger);
        const result = await drive(name).finally(() => db.setTrigger('on'));
        results[name] = result;
        (out.runs[name] ??= []).push(result);
        const cpu = result.apiCpuMs === undefined ? '' : `  API CPU ${result.apiCpuMs.toFixed(2)} ms/booking`;
        log(`run ${run + 1} ${name.padEnd(20)} ${num(result.perSecond).padStart(7)}/s  p50 ${ms(result.p50)}  p99 ${ms(result.p99)}${cpu}${result.errors ? `  ${result.errors} ERRORS` : ''}`);
      }
      const per = (name: Scenario) => results[name]?.perSecond ?? Number.NaN;
      const p50 = (name: Scenario) => results[name]?.p50 ?? Number.NaN;
      out.ratios.push({
        httpOverDirect: per('http') / per('direct'),
        httpWideOverDirectWide: per('httpWide') / per('directWide'),
        httpOverInteractive: per('http') / per('interactive'),
        httpWideOverInteractiveWide: per('httpWide') / per('interactiveWide'),
        httpWideOverHttp: per('httpWide') / per('http'),
        httpTriggerShare: per('http') / per('httpNoTrigger'),
        batchedOverDirect: per('batched') / per('direct'),
        lowLoadP50Ratio1: p50('http1') / p50('http1Unbatched'),
        lowLoadP50Ratio4: p50('http4') / p50('http4Unbatched'),
        oursOverInteractive: per('direct') / per('interactive'),
        liveUpdateCost: 1 - per('direct') / per('directNoTrigger'),
        ...(db.canSkipNotify ? {
          triggerWorkCost: 1 - per('directNoNotify') / per('directNoTrigger'),
          asyncCommitShare: per('directAsyncCommit') / per('directNoNotify'),
        } : {}),
        oursOverInteractiveNoTrigger: per('directNoTrigger') / per('interactiveNoTrigger'),
      });
    }
  } finally {
    await relay?.close();
    if (unbatched) {
      await unbatched.http.close();
      await unbatched.api.stop();
    }
  }
  return out;
}

type Report = {
  smoke: boolean;
  machine: ReturnType<typeof machine>;
  postgres: BenchDatabase['server'];
  config: Omit<typeof config, 'scenarios'> & { scenarios: string[] };
  throughput?: { medians: Partial<Record<Scenario, ThroughputRun>>; ratioMedians: Ratios; relay: RelayRun[]; relaySubscribers: number };
  contention?: { runs: ContentionRun[]; medians: Partial<ContentionRun> };
  fanout: (FanoutResult & { medians: Partial<Record<keyof FanoutResult['runs'][number], number>> })[];
  search?: SearchResult;
};

function renderTable(report: Report): string {
  const { machine: m, postgres: pg, config: c } = report;
  const lines = [
    `BlackJet bench: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${pg.version} ` +
      `(${pg.kind}, fsync=${pg.settings.fsync}, synchronous_commit=${pg.settings.synchronous_commit})`,
    `${num(c.flights)} flights; ${c.concurrency} concurrent clients unless said (API pool: ${c.poolSize ?? DEFAULT_POOL_SIZE} connections; ` +
      `booking queue: up to ${c.booking.maxBatch} bookings a transaction on ${c.booking.connections} connections); ` +
      `medians of ${c.runs} runs of ${c.durationS} s; load generator and clients on the same machine`,
    '',
  ];
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const check = (ok: boolean) => (ok ? 'met' : 'MISSED');
  if (report.throughput) {
    const { medians, ratioMedians: r } = report.throughput;
    const x = (ratio: number) => `${ratio.toFixed(2)}x`;
    const atLeast = (ratio: number, target: number) => `>= ${target}x: ${check(ratio >= target)}`;
    const cpu = (name: Scenario) => (medians[name]?.apiCpuMs === undefined ? '' : `; API CPU ${medians[name]!.apiCpuMs!.toFixed(2)} ms/booking`);
    const httpP99 = medians.http?.p99 ?? Number.NaN;
    const beside: Record<Scenario, [string, string]> = {
      direct: ['reference', ''],
      http: [`${x(r.httpOverDirect)} direct SQL, ${x(r.httpOverInteractive)} the usual design${cpu('http')}`,
        `${atLeast(r.httpOverDirect, TARGETS.httpOverDirect)}; ${atLeast(r.httpOverInteractive, TARGETS.httpOverInteractive)}; ` +
        `p99 <= ${TARGETS.httpP99Ms} ms: ${check(httpP99 <= TARGETS.httpP99Ms)}`],
      interactive: [`one call is ${x(r.oursOverInteractive)} this`, ''],
      batched: [`${x(r.batchedOverDirect)} direct SQL one call per transaction`, ''],
      httpNoTrigger: [`HTTP with the trigger is ${pct(r.httpTriggerShare)} of this${cpu('httpNoTrigger')}`,
        `>= ${pct(TARGETS.httpTriggerShare)}: ${check(r.httpTriggerShare >= TARGETS.httpTriggerShare)}`],
      directWide: [`reference at ${c.wideConcurrency} clients`, ''],
      httpWide: [`${x(r.httpWideOverDirectWide)} direct SQL, ${x(r.httpWideOverInteractiveWide)} the usual design, ` +
        `${x(r.httpWideOverHttp)} HTTP at ${c.concurrency}${cpu('httpWide')}`,
        `${atLeast(r.httpWideOverDirectWide, TARGETS.httpOverDirect)}; ${atLeast(r.httpWideOverInteractiveWide, TARGETS.httpOverInteractive)}; ` +
        `not below HTTP at ${c.concurrency}: ${check(r.httpWideOverHttp >= TARGETS.wideOverBase)}`],
      interactiveWide: [`at ${c.wideConcurrency} clients`, ''],
      directNoTrigger: [`live updates cost one call per transaction ${pct(r.liveUpdateCost)}`, ''],
      directNoNotify: [r.triggerWorkCost === undefined ? '' : `the trigger's work costs ${pct(r.triggerWorkCost)}, NOTIFY the rest`, ''],
      directAsyncCommit: [r.asyncCommitShare === undefined ? '' : `${pct(r.asyncCommitShare)} of the trigger without pg_notify: ` +
        'NOTIFY costs the wait for the WAL flush under its lock', ''],
      interactiveNoTrigger: [`one call is ${x(r.oursOverInteractiveNoTrigger)} this without live updates`, ''],
      http1: [`p50 ${x(r.lowLoadP50Ratio1)} batching off`, `p50 within 10% of batching off: ${check(r.lowLoadP50Ratio1 <= TARGETS.lowLoadP50)}`],
      http1Unbatched: ['reference for 1 client', ''],
      http4: [`p50 ${x(r.lowLoadP50Ratio4)} batching off`, `p50 within 10% of batching off: ${check(r.lowLoadP50Ratio4 <= TARGETS.lowLoadP50)}`],
      http4Unbatched: ['reference for 4 clients', ''],
    };
    const clientsOf = (name: Scenario) => {
      const { clients } = SCENARIOS[name];
      return clients === 'base' ? c.concurrency : clients === 'wide' ? c.wideConcurrency : clients;
    };
    lines.push(row(['throughput (uncontended)', 'clients', 'bookings/s', 'p50 ms', 'p99 ms', 'beside its reference', 'target']));
    lines.push(row(['---', '--:', '--:', '--:', '--:', '---', '---']));
    for (const name of Object.keys(SCENARIOS) as Scenario[]) {
      const m = medians[name];
      if (m) lines.push(row([SCENARIOS[name].label, String(clientsOf(name)), num(m.perSecond), ms(m.p50), ms(m.p99), ...beside[name]]));
    }
    lines.push('');
    const relay = report.throughput.relay;
    if (relay.length) {
      const received = relay.reduce((sum, r) => sum + r.received, 0);
      const expected = relay.reduce((sum, r) => sum + r.expected, 0);
      const p99 = median(relay.map((r) => r.p99));
      lines.push(row(['relay during the HTTP run', 'received', 'p50 ms', 'p99 ms', 'beside its reference', 'target']));
      lines.push(row(['---', '---', '--:', '--:', '---', '---']));
      lines.push(row([`${num(report.throughput.relaySubscribers)} subscribers on the flights being booked, ${c.concurrency} clients booking`,
        `${num(received)}/${num(expected)}`, ms(median(relay.map((r) => r.p50))), ms(p99), 'commit -> receipt',
        `all: ${check(received === expected)}; p99 < ${TARGETS.relayP99Ms} ms: ${check(p99 < TARGETS.relayP99Ms)}`]));
      lines.push('');
    }
  }
  const k = report.contention;
  if (k) {
    const exact = k.runs.every((r) => r.created === 1 && r.other === 0 && r.seatRows === 1);
    lines.push(row(['contention', 'answers', '409 p50 ms', '409 p99 ms', 'beside its reference', 'target']));
    lines.push(row(['---', '---', '--:', '--:', '---', '---']));
    lines.push(row([`${c.contentionRequests} simultaneous requests for one seat`,
      `${k.runs.filter((r) => r.created === 1).length}/${k.runs.length} runs: one 201, ${k.medians.conflicts} x 409`,
      ms(k.medians.conflictP50!), ms(k.medians.conflictP99!), `the 201 took ${ms(k.medians.winnerMs!)} ms`,
      `exactly one 201: ${check(exact)}`]));
    lines.push('');
  }
  if (report.fanout.length) {
    lines.push(row(['fan-out (201 -> seats_updated)', 'received', 'p50 ms', 'p99 ms', 'max ms; memory', 'target']));
    lines.push(row(['---', '---', '--:', '--:', '---', '---']));
    for (const f of report.fanout) {
      const received = f.runs.reduce((s, r) => s + r.received, 0);
      const expected = f.runs.reduce((s, r) => s + r.expected, 0);
      const limit = f.subscribers > 1000 ? TARGETS.fanoutP99Ms.large : TARGETS.fanoutP99Ms.small;
      const p99 = f.medians.p99 ?? Number.NaN;
      lines.push(row([`${num(f.subscribers)} subscribers, ${f.instances} instance${f.instances > 1 ? 's' : ''}`,
        `${num(received)}/${num(expected)}`, ms(f.medians.p50!), ms(p99),
        `max ${ms(f.medians.max!)}; p99 from the request ${ms(f.medians.p99FromRequest!)}; ${kb(f.rssPerClient)} KB RSS, ${kb(f.heapPerClient)} KB heap per client`,
        `p99 < ${limit} ms: ${check(p99 < limit)}; all: ${check(received === expected)}`]));
    }
  }
  if (report.search) {
    const s = report.search;
    lines.push('');
    lines.push(row([`search at ${num(s.flights)} flights (HTTP, one at a time)`, 'requests', 'p50 ms', 'p99 ms', 'beside its reference', 'plan']));
    lines.push(row(['---', '--:', '--:', '--:', '---', '---']));
    lines.push(row(['GET /api/flights/seats: seat-map read (reference)', num(s.seatMap.count), ms(s.seatMap.p50), ms(s.seatMap.p99), 'reference', '']));
    lines.push(row(['GET /api/flights: route + week + minFreeSeats', num(s.search.count), ms(s.search.p50), ms(s.search.p99),
      `${(s.search.p50 / s.seatMap.p50).toFixed(1)}x the seat-map read (p50); median ${num(s.matches)} matches`,
      s.seqScan ? 'SEQ SCAN on flights' : 'index scans only']));
  }
  return lines.join('\n');
}

function correctnessProblems(report: Report): string[] {
  const problems: string[] = [];
  for (const [name, r] of Object.entries(report.throughput?.medians ?? {})) {
    if (r.errors > 0) problems.push(`${name}: uncontended bookings failed (median ${r.errors} a run)`);
  }
  for (const [i, r] of (report.throughput?.relay ?? []).entries()) {
    if (r.received !== r.expected) problems.push(`relay during HTTP run ${i + 1}: ${r.received}/${r.expected} updates reached their subscribers`);
  }
  for (const [i, r] of (report.contention?.runs ?? []).entries()) {
    if (r.created !== 1 || r.other !== 0 || r.seatRows !== 1) {
      problems.push(`contention run ${i + 1}: ${r.created} x 201, ${r.other} neither 201 nor 409, ${r.seatRows} seat rows`);
    }
  }
  if (report.search?.seqScan) problems.push('search: the plan scans flights sequentially');
  for (const f of report.fanout) {
    if (f.connectFailures) problems.push(`fan-out ${f.subscribers}: ${f.connectFailures} clients failed to connect`);
    for (const [i, r] of f.runs.entries()) {
      if (r.received !== r.expected) problems.push(`fan-out ${f.subscribers} run ${i + 1}: ${r.received}/${r.expected} got the update`);
    }
  }
  return problems;
}

const num = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : 'n/a');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : 'n/a');
const pct = (n: number) => `${Math.round(n * 100)}%`;
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
