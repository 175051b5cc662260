/**
 * Per-kernel time of one piece of work, from `tf.profile`, summed by kernel name.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Total milliseconds and call count of one kernel within the profiled work. */
export interface KernelTime {
  kernel: string;
  totalMs: number;
  calls: number;
}

/**
 * Profiles `work` `repeats` times and returns its kernels, slowest first. Each kernel keeps its
 * smallest total over the repeats, since a busy machine only ever adds time.
 */
export async function profileKernels(work: () => void, repeats = 3): Promise<KernelTime[]> {
  const best = new Map<string, KernelTime>();
  for (let repeat = 0; repeat < repeats; repeat++) {
    const info = await tf.profile(work);
    const byName = new Map<string, KernelTime>();
    for (const kernel of info.kernels) {
      const entry = byName.get(kernel.name) ?? { kernel: kernel.name, totalMs: 0, calls: 0 };
      // The wasm backend runs synchronously, so its kernel time is already a number.
      entry.totalMs += typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
      entry.calls += 1;
      byName.set(kernel.name, entry);
    }
    for (const [name, entry] of byName) {
      const previous = best.get(name);
      if (previous === undefined || entry.totalMs < previous.totalMs) best.set(name, entry);
    }
  }
  return [...best.values()].sort((a, b) => b.totalMs - a.totalMs);
}

/** Renders kernel times as a Markdown table, with the share of the total for each. */
export function formatKernelTable(times: KernelTime[], title: string): string {
  const totalMs = times.reduce((sum, time) => sum + time.totalMs, 0);
  const rows = times
    .filter((time) => time.totalMs >= 0.05 * (totalMs / 100) || time.totalMs > 1)
    .map(
      (time) =>
        `| ${time.kernel} | ${time.calls} | ${time.totalMs.toFixed(1)} | ` +
        `${((100 * time.totalMs) / totalMs).toFixed(1)}% |`,
    );
  return [
    `### ${title}: ${totalMs.toFixed(1)} ms per step`,
    '| kernel | calls | ms | share |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
