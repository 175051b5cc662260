/**
 * Per-label class weights that rebalance binary cross-entropy on imbalanced multi-label data, so
 * that positives and negatives of each label contribute equally to the loss on average.
 */
import { InvalidInputError } from '../errors/domain-errors.js';

/** Loss weights per label, indexed by label; see `classWeights`. */
export interface ClassWeights {
  /** Weight of a positive entry of each label. */
  positive: Float32Array;
  /** Weight of a negative entry of each label. */
  negative: Float32Array;
}

/**
 * Weights each label's positives by N / (2 n1) and its negatives by N / (2 n0), where N is the
 * sample count and n1, n0 the label's positive and negative counts (scikit-learn's "balanced"
 * heuristic applied per label). A count of 0 gives weight 0 rather than infinity: there is nothing
 * of that kind to weight.
 *
 * @param targets 0/1 matrix, `sampleCount` x `labelCount`, row-major; any non-zero is a positive.
 */
export function classWeights(
  targets: Uint8Array,
  sampleCount: number,
  labelCount: number,
): ClassWeights {
  if (!Number.isInteger(sampleCount) || !Number.isInteger(labelCount) || labelCount < 1) {
    throw new InvalidInputError('class weights need a whole sample count and at least one label');
  }
  if (targets.length !== sampleCount * labelCount) {
    throw new InvalidInputError(
      `class weights: targets hold ${targets.length} entries, ` +
        `expected ${sampleCount} x ${labelCount}`,
    );
  }

  const positives = new Float64Array(labelCount);
  for (let sample = 0; sample < sampleCount; sample++) {
    const offset = sample * labelCount;
    for (let label = 0; label < labelCount; label++) {
      if (targets[offset + label] !== 0) positives[label]! += 1;
    }
  }

  const positive = new Float32Array(labelCount);
  const negative = new Float32Array(labelCount);
  for (let label = 0; label < labelCount; label++) {
    const positiveCount = positives[label]!;
    const negativeCount = sampleCount - positiveCount;
    positive[label] = positiveCount > 0 ? sampleCount / (2 * positiveCount) : 0;
    negative[label] = negativeCount > 0 ? sampleCount / (2 * negativeCount) : 0;
  }
  return { positive, negative };
}
