/**
 * Multi-label classification metrics at given per-label thresholds, with scikit-learn's
 * definitions so numbers can be compared with a Python notebook.
 *
 * Zero division follows scikit-learn's `zero_division=0`: a precision, recall or F1 whose
 * denominator is 0 counts as 0. In particular a label with no positives that is never predicted
 * gets F1 0 and still counts in the macro averages (scikit-learn averages over every label column
 * of an indicator matrix), and an image with no true and no predicted labels gets F1 0 in the
 * samples average.
 */
import { InvalidInputError } from '../errors/domain-errors.js';
import { averagePrecision } from './average-precision.js';
import { meanBinaryCrossEntropy } from './binary-cross-entropy.js';
import type { EvaluationReport, LabelReport } from './evaluation-report.js';
import { sampleCountOf, sortedLabelScores } from './sorted-label-scores.js';

/**
 * Evaluates `probabilities` against `targets` (both n x labels, row-major; any non-zero target is
 * a positive). A label is predicted when its probability is at or above its entry in
 * `thresholds`. Runs in O(n L log n).
 */
export function classificationReport(
  probabilities: Float32Array,
  targets: Uint8Array,
  labelNames: readonly string[],
  thresholds: Float32Array,
): EvaluationReport {
  const labelCount = labelNames.length;
  const sampleCount = sampleCountOf(probabilities, targets, labelCount, 'evaluation');
  if (thresholds.length !== labelCount) {
    throw new InvalidInputError(
      `evaluation: ${thresholds.length} thresholds for ${labelCount} labels`,
    );
  }
  if (sampleCount === 0) throw new InvalidInputError('evaluation: no images to evaluate');

  const truePositives = new Float64Array(labelCount);
  const falsePositives = new Float64Array(labelCount);
  const falseNegatives = new Float64Array(labelCount);
  let sampleF1Sum = 0;
  for (let sample = 0; sample < sampleCount; sample++) {
    let sampleTruePositives = 0;
    let sampleErrors = 0;
    for (let label = 0; label < labelCount; label++) {
      const index = sample * labelCount + label;
      const predicted = probabilities[index]! >= thresholds[label]!;
      const actual = targets[index] !== 0;
      if (predicted && actual) {
        truePositives[label]!++;
        sampleTruePositives++;
      } else if (predicted) {
        falsePositives[label]!++;
        sampleErrors++;
      } else if (actual) {
        falseNegatives[label]!++;
        sampleErrors++;
      }
    }
    sampleF1Sum += f1Of(sampleTruePositives, sampleErrors);
  }

  const labels: LabelReport[] = [];
  let averagePrecisionSum = 0;
  let labelsWithPositives = 0;
  for (let label = 0; label < labelCount; label++) {
    const tp = truePositives[label]!;
    const fp = falsePositives[label]!;
    const fn = falseNegatives[label]!;
    const support = tp + fn;
    const ap =
      support > 0
        ? averagePrecision(sortedLabelScores(probabilities, targets, labelCount, label))
        : 0;
    if (support > 0) {
      averagePrecisionSum += ap;
      labelsWithPositives++;
    }
    labels.push({
      label: labelNames[label]!,
      support,
      precision: ratio(tp, tp + fp),
      recall: ratio(tp, support),
      f1: f1Of(tp, fp + fn),
      threshold: thresholds[label]!,
      averagePrecision: ap,
    });
  }

  const tp = sum(truePositives);
  const fp = sum(falsePositives);
  const fn = sum(falseNegatives);
  return {
    f1Micro: f1Of(tp, fp + fn),
    f1Macro: mean(labels.map((entry) => entry.f1)),
    f1Samples: sampleF1Sum / sampleCount,
    precisionMicro: ratio(tp, tp + fp),
    precisionMacro: mean(labels.map((entry) => entry.precision)),
    recallMicro: ratio(tp, tp + fn),
    recallMacro: mean(labels.map((entry) => entry.recall)),
    meanAveragePrecision: ratio(averagePrecisionSum, labelsWithPositives),
    bceLoss: meanBinaryCrossEntropy(probabilities, targets),
    images: sampleCount,
    labels,
  };
}

/** 2 TP / (2 TP + FP + FN), written with `errors` = FP + FN; 0 when nothing is there. */
function f1Of(truePositives: number, errors: number): number {
  return ratio(2 * truePositives, 2 * truePositives + errors);
}

/** `numerator / denominator`, or 0 when the denominator is 0 (scikit-learn's zero_division=0). */
function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function sum(values: Float64Array): number {
  return values.reduce((total, value) => total + value, 0);
}

function mean(values: readonly number[]): number {
  return values.length === 0
    ? 0
    : values.reduce((total, value) => total + value, 0) / values.length;
}
