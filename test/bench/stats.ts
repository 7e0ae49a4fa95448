/** Medians, percentiles and the closed-loop driver every throughput scenario uses. */

/** Nearest-rank percentile (p in 0..100) of an ascending array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Latencies in milliseconds. */
export function summarize(latenciesMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/** The median of each numeric field over several runs (a run's p99 medianed with the other runs' p99s). */
export function medianOf<T extends object>(runs: T[]): { [K in keyof T]: T[K] extends number ? number : never } {
  const out: Record<string, number> = {};
  for (const key of Object.keys(runs[0] ?? {})) {
    const values = runs.map((r) => (r as Record<string, unknown>)[key]).filter((v): v is number => typeof v === 'number');
    if (values.length === runs.length) out[key] = median(values);
  }
  return out as never;
}

export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export interface ThroughputRun extends LatencySummary {
  /** Operations completed per second in the measured window. */
  perSecond: number;
  /** Operations that failed (an uncontended workload must have none). */
  errors: number;
  /** Operations completed from the start, warm-up included. */
  completed: number;
  /** For the HTTP scenarios: CPU time of the API process per booking, warm-up included, ms. */
  apiCpuMs?: number;
}

/**
 * A closed loop: `concurrency` workers, each runs `operation` again as soon as the previous one ends.
 * The first `warmupMs` are not counted; then completions and latencies are recorded for `durationMs`.
 */
export async function closedLoop(options: {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  operation: (worker: number) => Promise<void>;
  onError?: (e: unknown) => void;
}): Promise<ThroughputRun> {
  const { concurrency, durationMs, warmupMs, operation } = options;
  const start = nowMs();
  const measureFrom = start + warmupMs;
  const end = measureFrom + durationMs;
  const latencies: number[] = [];
  let errors = 0;
  let completed = 0;
  let firstError: unknown;

  const worker = async (id: number) => {
    for (let t = nowMs(); t < end; t = nowMs()) {
      try {
        await operation(id);
      } catch (e) {
        errors++;
        firstError ??= e;
        continue;
      }
      completed++;
      const done = nowMs();
      // Throughput counts completions inside the window; each one's latency is recorded with it.
      if (done >= measureFrom && done <= end) latencies.push(done - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  if (firstError !== undefined) options.onError?.(firstError);
  return { ...summarize(latencies), perSecond: latencies.length / (durationMs / 1000), errors, completed };
}
