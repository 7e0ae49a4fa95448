/**
 * `npm test`: one PostgreSQL for the whole run, with a migrated, seeded template database that every
 * test file clones per test (test/helpers/cluster.ts), and the test files run in parallel.
 *
 *   npm test                              every file in test/ and test/unit/
 *   npm test -- test/race.test.ts         only these files
 *   TEST_CONCURRENCY=1 npm test           one file at a time
 *
 * Node's test runner has no global setup, hence this script: it starts the server (the embedded one on a
 * free port, or uses DATABASE_URL's), builds the template, passes both to the test processes in
 * environment variables, runs the files, and drops the template and stops the server afterwards, also
 * on Ctrl-C. A file run directly with `node --import tsx --test` makes its own server instead.
 *
 * Each file runs in a process of its own, several at a time; its report is printed whole when it ends,
 * so reports never interleave. A file that runs longer than FILE_TIMEOUT_MS is stopped and fails:
 * Node 20 has no per-test default timeout for a file run in its own process (`--test-timeout` bounds
 * only what `node --test` itself runs, which is each whole file), so the bound is per file.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config.ts';
import {
  createTemplate, dropDatabase, startTestServer, TEST_ADMIN_URL_VARIABLE, TEST_TEMPLATE_VARIABLE,
} from './helpers/cluster.ts';

/**
 * Files at a time. A test spends most of its time waiting on PostgreSQL, sockets and child processes,
 * so a few more files than cores keeps the cores busy.
 */
const CONCURRENCY = Number(process.env.TEST_CONCURRENCY) || availableParallelism() + 1;
/** A file still running after this is stopped and fails, instead of holding up the run. */
const FILE_TIMEOUT_MS = 10 * 60_000; // on an idle machine the longest file takes about a minute
/**
 * Longest first, so that no long file starts late and runs alone at the end: by each file's time in the
 * last run on this machine (LAST_TIMES_FILE), else by this list (measured on a 2-core machine), then by name.
 */
const LONGEST_FIRST = ['embedded', 'web-page', 'roles', 'auth-startup', 'attack', 'operations', 'start-signals'];
/** Each file's wall time in the last complete run (git-ignored), for the order of the next one. */
const LAST_TIMES_FILE = path.join(PROJECT_ROOT, 'test-results', 'file-times.json');
/**
 * Run alone, after the others: the bench smoke run loads the machine on purpose (its own fsync-on
 * cluster, bursts of bookings, hundreds of sockets) and checks that nothing was refused or missed, which
 * other files running beside it would turn into timeouts on both sides.
 */
const ALONE = ['bench-smoke'];

function testFiles(): string[] {
  const inFolder = (folder: string) => readdirSync(path.join(PROJECT_ROOT, folder))
    .filter((f) => f.endsWith('.test.ts')).sort().map((f) => `${folder}/${f}`);
  const rank = (file: string) => {
    const i = LONGEST_FIRST.indexOf(path.basename(file, '.test.ts'));
    return i === -1 ? LONGEST_FIRST.length : i;
  };
  const last = lastTimes();
  // A file new since the last run goes first: its time is unknown, and it may be long.
  const lastTime = (file: string) => last[file] ?? Infinity;
  return [...inFolder('test'), ...inFolder('test/unit')]
    .sort((a, b) => (Object.keys(last).length ? lastTime(b) - lastTime(a) : rank(a) - rank(b)));
}

function lastTimes(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(LAST_TIMES_FILE, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

/** Kept only from a run of every file, so that a run of a few files does not reorder the next full run. */
function keepTimes(results: FileResult[]): void {
  mkdirSync(path.dirname(LAST_TIMES_FILE), { recursive: true });
  writeFileSync(LAST_TIMES_FILE, `${JSON.stringify(Object.fromEntries(results.map((r) => [r.file, r.seconds])), null, 1)}\n`);
}

const runsAlone = (file: string) => ALONE.includes(path.basename(file, '.test.ts'));

interface FileResult { file: string; ok: boolean; counts: Record<string, number>; seconds: number }

const COUNTED = ['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];

function runFile(file: string, env: NodeJS.ProcessEnv): Promise<FileResult> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--test-reporter=spec', file], {
    cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, FILE_TIMEOUT_MS);
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  return new Promise((resolve) => child.once('close', (status) => {
    clearTimeout(timer);
    if (timedOut) output += `\n✖ stopped: still running after ${FILE_TIMEOUT_MS / 1000} s\n`;
    const counts = Object.fromEntries(COUNTED.map((name) => [name, Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? 0)]));
    const ok = status === 0 && !timedOut && counts.tests! > 0;
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`\n${ok ? '✔' : '✖'} ${file} (${seconds.toFixed(1)} s)\n${output.trimEnd()}\n`);
    resolve({ file, ok, counts, seconds });
  }));
}

/** Set on Ctrl-C or SIGTERM: the files running end (same process group) and no new file starts. */
let stopping = false;

async function runAll(files: string[], env: NodeJS.ProcessEnv): Promise<FileResult[]> {
  const queue = files.filter((f) => !runsAlone(f));
  const results: FileResult[] = [];
  const worker = async () => {
    for (let file = queue.shift(); file && !stopping; file = queue.shift()) results.push(await runFile(file, env));
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  for (const file of files.filter(runsAlone)) if (!stopping) results.push(await runFile(file, env));
  return results;
}

/**
 * Every file's wall time, slowest first, a few to a line: where the run's time goes, for the next tuning.
 * A file's time includes waiting for the cores that the files beside it use.
 */
function fileTimes(results: FileResult[]): string {
  const entries = [...results].sort((a, b) => b.seconds - a.seconds)
    .map((r) => `${r.seconds.toFixed(1).padStart(5)} s ${r.file.replace(/^test\//, '').replace(/\.test\.ts$/, '').padEnd(20)}`);
  const lines: string[] = [];
  for (let i = 0; i < entries.length; i += 4) lines.push(`#  ${entries.slice(i, i + 4).join('  ').trimEnd()}`);
  return `# wall time per file, slowest first:\n${lines.join('\n')}\n`;
}

async function main(): Promise<boolean> {
  const everyFile = process.argv.slice(2).length === 0;
  const files = everyFile ? testFiles() : process.argv.slice(2);
  const started = Date.now();
  const server = await startTestServer();
  let template: string | undefined;
  const cleanUp = async () => {
    if (template) await dropDatabase(server.adminUrl, template).catch(() => {});
    await server.stop();
  };
  // Ctrl-C reaches the test processes too (same process group); they end, then this cleans up.
  process.on('SIGINT', () => { stopping = true; });
  process.on('SIGTERM', () => { stopping = true; });
  try {
    template = await createTemplate(server.adminUrl);
    const results = await runAll(files, {
      ...process.env, NODE_ENV: 'test', [TEST_ADMIN_URL_VARIABLE]: server.adminUrl, [TEST_TEMPLATE_VARIABLE]: template,
    });
    const total = (name: string) => results.reduce((sum, r) => sum + (r.counts[name] ?? 0), 0);
    const failed = results.filter((r) => !r.ok);
    if (everyFile && !stopping) keepTimes(results);
    process.stdout.write(`\n${fileTimes(results)}`);
    process.stdout.write(`\n# ${files.length} files, ${CONCURRENCY} at a time, ${((Date.now() - started) / 1000).toFixed(1)} s\n`
      + `# ${COUNTED.map((name) => `${name} ${total(name)}`).join(', ')}\n`
      + (failed.length ? `# failed: ${failed.map((r) => r.file).join(', ')}\n` : '')
      // The plain closing line CI reads: tests of files that failed without a count (a crash) count too.
      + `${total('pass')} passed, ${total('fail') + total('cancelled') + failed.filter((r) => !r.counts.fail).length} failed\n`);
    return failed.length === 0 && !stopping;
  } finally {
    await cleanUp();
  }
}

main().then((ok) => process.exit(ok ? 0 : 1), (e: unknown) => {
  process.stderr.write(`the test run could not start: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
