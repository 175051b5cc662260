/**
 * One label's scores, split into those of positive and of negative images and sorted, so that
 * "how many of each score at least t" is a binary search. Average precision and threshold tuning
 * both start from this, and it lets them sort with the native typed-array sort (no comparator).
 */
import { InvalidInputError } from '../errors/domain-errors.js';

/** The scores of one label's positive and negative images, each sorted ascending. */
export interface SortedLabelScores {
  positive: Float32Array;
  negative: Float32Array;
}

/**
 * Checks that `probabilities` and `targets` are both n x `labelCount` and returns n.
 *
 * @param context names the caller in the error message.
 */
export function sampleCountOf(
  probabilities: Float32Array,
  targets: Uint8Array,
  labelCount: number,
  context: string,
): number {
  if (!Number.isInteger(labelCount) || labelCount < 1) {
    throw new InvalidInputError(`${context}: need at least one label`);
  }
  if (probabilities.length !== targets.length || probabilities.length % labelCount !== 0) {
    throw new InvalidInputError(
      `${context}: ${probabilities.length} probabilities and ${targets.length} targets ` +
        `do not form two n x ${labelCount} matrices`,
    );
  }
  return probabilities.length / labelCount;
}

/**
 * Splits column `label` of the row-major n x `labelCount` matrices by target and sorts each part.
 * A NaN score counts as the lowest possible score, so a broken model scores badly rather than
 * poisoning the sort.
 */
export function sortedLabelScores(
  probabilities: Float32Array,
  targets: Uint8Array,
  labelCount: number,
  label: number,
): SortedLabelScores {
  const sampleCount = probabilities.length / labelCount;
  let positiveCount = 0;
  for (let i = label; i < targets.length; i += labelCount) {
    if (targets[i] !== 0) positiveCount++;
  }

  const positive = new Float32Array(positiveCount);
  const negative = new Float32Array(sampleCount - positiveCount);
  let positiveAt = 0;
  let negativeAt = 0;
  for (let i = label; i < probabilities.length; i += labelCount) {
    const score = probabilities[i]!;
    const cleaned = Number.isNaN(score) ? -Infinity : score;
    if (targets[i] !== 0) positive[positiveAt++] = cleaned;
    else negative[negativeAt++] = cleaned;
  }
  positive.sort();
  negative.sort();
  return { positive, negative };
}

/** How many entries of the ascending `sorted` are at least `threshold`. */
export function countAtLeast(sorted: Float32Array, threshold: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < threshold) low = middle + 1;
    else high = middle;
  }
  return sorted.length - low;
}
