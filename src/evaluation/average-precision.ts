/**
 * Average precision of one label's ranking, computed as scikit-learn's `average_precision_score`
 * does: the precision at each distinct score, weighted by the recall gained there, with tied
 * scores taken as one step (no interpolation).
 */
import type { SortedLabelScores } from './sorted-label-scores.js';

/**
 * Sum over distinct scores s, highest first, of (R(s) - R(previous s)) * P(s), where P and R are
 * precision and recall when predicting every image scored at least s. Returns 0 for a label
 * without positives (scikit-learn warns and returns 0 there too); callers leave such labels out
 * of the mean.
 */
export function averagePrecision(scores: SortedLabelScores): number {
  const { positive, negative } = scores;
  if (positive.length === 0) return 0;

  // Walk both ascending arrays from their ends, one distinct score at a time.
  let positiveAt = positive.length - 1;
  let negativeAt = negative.length - 1;
  let truePositives = 0;
  let falsePositives = 0;
  let previousRecall = 0;
  let sum = 0;
  while (positiveAt >= 0) {
    const nextPositive = positive[positiveAt]!;
    const nextNegative = negativeAt >= 0 ? negative[negativeAt]! : -Infinity;
    const score = Math.max(nextPositive, nextNegative);
    while (positiveAt >= 0 && positive[positiveAt] === score) {
      truePositives++;
      positiveAt--;
    }
    while (negativeAt >= 0 && negative[negativeAt] === score) {
      falsePositives++;
      negativeAt--;
    }
    const recall = truePositives / positive.length;
    sum += (recall - previousRecall) * (truePositives / (truePositives + falsePositives));
    previousRecall = recall;
  }
  return sum;
}
