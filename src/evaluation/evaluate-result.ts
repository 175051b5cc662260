/**
 * An evaluation report shaped like the API's `EvaluateResult` message.
 */
import type { EvaluationReport } from './evaluation-report.js';
import type { ThresholdPoint } from './threshold-curve.js';

/** `EvaluateResult` in camelCase: the report, the model version it measured and its curve. */
export interface EvaluateResultValue extends EvaluationReport {
  modelVersion: string;
  /** F1 at thresholds shared by every label; empty for training's validation figures. */
  thresholdCurve: ThresholdPoint[];
}

/** The result message of `report`, measured on `modelVersion`. */
export function toEvaluateResult(
  report: EvaluationReport,
  modelVersion: string,
  thresholdCurve: ThresholdPoint[] = [],
): EvaluateResultValue {
  return { ...report, modelVersion, thresholdCurve };
}
