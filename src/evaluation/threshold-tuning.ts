/**
 * Per-label decision thresholds tuned for F1. On imbalanced data a single threshold of 0.5 misses
 * most rare labels; picking each label's threshold on held-out data recovers much of that.
 */
import { InvalidInputError } from '../errors/domain-errors.js';
import { DEFAULT_THRESHOLD } from '../store/model-metadata.js';
import { countAtLeast, sampleCountOf, sortedLabelScores } from './sorted-label-scores.js';

/** Candidate thresholds 0.05, 0.06, ..., 0.95, as float32 to compare exactly with the scores. */
const THRESHOLD_GRID: readonly number[] = Array.from({ length: 91 }, (_, i) =>
  Math.fround((5 + i) / 100),
);

/**
 * Chooses, for each label, the grid threshold (0.05 to 0.95 in steps of 0.01) that maximises the
 * label's F1 on the given data, predicting where probability >= threshold. Ties are common (any
 * threshold between the highest negative and the lowest positive score is perfect), so the middle
 * of the first run of best thresholds is taken, away from the scores that bound it. A label
 * without positives, or whose F1 is 0 at every threshold, keeps `defaultThreshold`.
 *
 * @param probabilities n x `labelCount`, row-major.
 * @param targets n x `labelCount`, row-major; any non-zero is a positive.
 */
export function tuneThresholds(
  probabilities: Float32Array,
  targets: Uint8Array,
  labelCount: number,
  defaultThreshold = DEFAULT_THRESHOLD,
): Float32Array {
  sampleCountOf(probabilities, targets, labelCount, 'threshold tuning');
  if (!(defaultThreshold >= 0 && defaultThreshold <= 1)) {
    throw new InvalidInputError(
      `threshold tuning: default threshold ${defaultThreshold} is not in [0, 1]`,
    );
  }

  const thresholds = new Float32Array(labelCount).fill(defaultThreshold);
  for (let label = 0; label < labelCount; label++) {
    const { positive, negative } = sortedLabelScores(probabilities, targets, labelCount, label);
    if (positive.length === 0) continue;

    const f1s = THRESHOLD_GRID.map((threshold) => {
      const truePositives = countAtLeast(positive, threshold);
      const predicted = truePositives + countAtLeast(negative, threshold);
      // 2 TP / (2 TP + FP + FN) = 2 TP / (predicted + actual positives).
      return (2 * truePositives) / (predicted + positive.length);
    });
    const best = Math.max(...f1s);
    if (best === 0) continue;

    const runStart = f1s.indexOf(best);
    let runEnd = runStart;
    while (f1s[runEnd + 1] === best) runEnd++;
    thresholds[label] = THRESHOLD_GRID[(runStart + runEnd) >>> 1]!;
  }
  return thresholds;
}
