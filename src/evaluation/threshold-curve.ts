/**
 * F1 as a function of one threshold shared by every label: how sensitive a model is to the
 * threshold, and where the default 0.2 sits on the curve.
 */
import { classificationReport } from './classification-report.js';

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
 * (n x labels, row-major).
 */
export function thresholdCurve(
  probabilities: Float32Array,
  targets: Uint8Array,
  labelNames: readonly string[],
): ThresholdPoint[] {
  return CURVE_THRESHOLDS.map((threshold) => {
    const shared = new Float32Array(labelNames.length).fill(threshold);
    const report = classificationReport(probabilities, targets, labelNames, shared);
    return { threshold, f1Micro: report.f1Micro, f1Macro: report.f1Macro };
  });
}
