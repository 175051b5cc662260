/**
 * Plain-text descriptions of finished jobs and of the per-label table, for people reading a
 * terminal (`--json` gives machines the messages themselves).
 */
import type { EvaluateResultValue } from '../evaluation/evaluate-result.js';
import type { JobMessage } from './api-messages.js';
import { shortKind, shortState } from './api-messages.js';

function fixed(value: number | undefined, digits = 3): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** The per-label table of an evaluation: one aligned row per label. */
export function formatLabelTable(result: EvaluateResultValue): string[] {
  const width = Math.max(5, ...result.labels.map((l) => l.label.length));
  const header = `  ${'label'.padEnd(width)}  support  precision  recall     f1  threshold     AP`;
  const rows = result.labels.map(
    (l) =>
      `  ${l.label.padEnd(width)}  ${String(l.support).padStart(7)}` +
      `  ${fixed(l.precision).padStart(9)}  ${fixed(l.recall).padStart(6)}` +
      `  ${fixed(l.f1).padStart(5)}  ${fixed(l.threshold).padStart(9)}` +
      `  ${fixed(l.averagePrecision).padStart(5)}`,
  );
  return [header, ...rows];
}

/** The headline figures of an evaluation. */
export function formatEvaluationSummary(result: EvaluateResultValue): string[] {
  return [
    `model version ${result.modelVersion}, ${result.images} images`,
    `F1 micro ${fixed(result.f1Micro)}  macro ${fixed(result.f1Macro)}  ` +
      `samples ${fixed(result.f1Samples)}`,
    `precision micro ${fixed(result.precisionMicro)}  macro ${fixed(result.precisionMacro)}  ` +
      `recall micro ${fixed(result.recallMicro)}  macro ${fixed(result.recallMacro)}`,
    `mean average precision ${fixed(result.meanAveragePrecision)}  ` +
      `BCE loss ${fixed(result.bceLoss, 4)}`,
  ];
}

/** What a finished (or failed) job produced, as lines of text. */
export function describeFinishedJob(job: JobMessage): string[] {
  const kind = shortKind(job.kind);
  const lines = [
    `${kind} job ${job.id} ${shortState(job.state)}${job.message ? `: ${job.message}` : ''}`,
  ];
  if (job.state !== 'JOB_STATE_SUCCEEDED') return lines;
  if (job.train) {
    const train = job.train;
    lines.push(
      `model version ${train.modelVersion}: ` +
        `best epoch ${train.bestEpoch} of ${train.epochsRun} run, ` +
        `${train.imagesUsed} images used, ${train.imagesSkipped} skipped, ` +
        `${fixed(train.trainSeconds, 1)} s at ${fixed(train.imagesPerSecond, 1)} images/s`,
    );
    if (train.validation) {
      lines.push('validation:', ...formatEvaluationSummary(train.validation).map((l) => `  ${l}`));
      lines.push(...formatLabelTable(train.validation));
    }
  }
  if (job.evaluate) {
    lines.push(...formatEvaluationSummary(job.evaluate), ...formatLabelTable(job.evaluate));
  }
  if (job.cluster) {
    const cluster = job.cluster;
    lines.push(
      `clusters (images each): ${cluster.sizes.join(', ')}`,
      `features ${cluster.features}, inertia ${fixed(cluster.inertia, 2)}`,
      `assignments written to ${cluster.output}`,
    );
  }
  if (job.augment) {
    const augment = job.augment;
    const added = Object.entries(augment.added)
      .map(([key, count]) => `${key}: ${count}`)
      .join(', ');
    lines.push(
      `${augment.imagesAdded} images added (${added || 'none'}), ${augment.redraws} redrawn`,
      `manifest written to ${augment.outputManifest}`,
    );
  }
  return lines;
}
