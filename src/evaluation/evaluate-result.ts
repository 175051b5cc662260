/**
 * An evaluation report shaped like the API's `EvaluateResult` message.
 */
import type { EvaluationReport } from './evaluation-report.js';

/** `EvaluateResult` in camelCase: the report plus the model version it measured. */
export interface EvaluateResultValue extends EvaluationReport {
  modelVersion: string;
}

/** The result message of `report`, measured on `modelVersion`. */
export function toEvaluateResult(
  report: EvaluationReport,
  modelVersion: string,
): EvaluateResultValue {
  return { ...report, modelVersion };
}
