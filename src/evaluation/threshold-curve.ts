/**
 * F1 as a function of one threshold shared by every label: how sensitive a model is to the
 * threshold, and where the default 0.2 sits on the curve. Each label's scores are sorted once,
 * so every point of the curve costs a few binary searches instead of a pass over all scores.
 */
import { countAtLeast, sampleCountOf, sortedLabelScores } from './sorted-label-scores.js';

/** F1 at one shared threshold. */
export interface ThresholdPoint {
  threshold: number;
  f1Micro: number;
  f1Macro: number;
}

/** The thresholds of the curve: 0.05 to 0.95 in steps of 0.05. */
export const CURVE_THRESHOLDS: readonly number[] = Array.from(
  { length: 19 },
  (_, i) => Math.round((i + 1) * 5) / 100,
);

/**
 * F1 micro and macro at each of `CURVE_THRESHOLDS`, for `probabilities` and `targets`
 * (n x labels, row-major), with the conventions of `classificationReport` (a label with nothing
 * to find and nothing predicted has F1 0 and counts in the macro average).
 */
export function thresholdCurve(
  probabilities: Float32Array,
  targets: Uint8Array,
  labelNames: readonly string[],
): ThresholdPoint[] {
  const labelCount = labelNames.length;
  sampleCountOf(probabilities, targets, labelCount, 'threshold curve');
  const sorted = labelNames.map((_, label) =>
    sortedLabelScores(probabilities, targets, labelCount, label),
  );
  return CURVE_THRESHOLDS.map((threshold) => {
    let truePositives = 0;
    let predicted = 0;
    let positives = 0;
    let f1Sum = 0;
    for (const { positive, negative } of sorted) {
      const labelTruePositives = countAtLeast(positive, threshold);
      const labelPredicted = labelTruePositives + countAtLeast(negative, threshold);
      // 2 TP / (2 TP + FP + FN) = 2 TP / (predicted + actual positives).
      const denominator = labelPredicted + positive.length;
      f1Sum += denominator === 0 ? 0 : (2 * labelTruePositives) / denominator;
      truePositives += labelTruePositives;
      predicted += labelPredicted;
      positives += positive.length;
    }
    const microDenominator = predicted + positives;
    return {
      threshold,
      f1Micro: microDenominator === 0 ? 0 : (2 * truePositives) / microDenominator,
      f1Macro: f1Sum / labelCount,
    };
  });
}
