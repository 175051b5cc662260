/**
 * Latency bookkeeping for the resource and load tests, which log percentiles (never assert them:
 * the benchmark measures speed).
 */

/** The `fraction` percentile (0.99 for p99) of `samplesMs`, by nearest rank; NaN when empty. */
export function percentileMs(samplesMs: readonly number[], fraction: number): number {
  if (samplesMs.length === 0) return Number.NaN;
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1] as number;
}

/** "p50 3.1 ms, p99 12.0 ms over 400 calls", for `t.log`. */
export function describeLatency(samplesMs: readonly number[]): string {
  const p50 = percentileMs(samplesMs, 0.5).toFixed(1);
  const p99 = percentileMs(samplesMs, 0.99).toFixed(1);
  return `p50 ${p50} ms, p99 ${p99} ms over ${samplesMs.length} calls`;
}

/** Runs `call` and returns how long it took, in milliseconds (fractional). */
export async function timedMs(call: () => Promise<unknown>): Promise<number> {
  const startedAt = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - startedAt) / 1e6;
}
