/**
 * The result of a training job, shaped like the API's `TrainResult` message.
 */
import type { EvaluateResultValue } from '../evaluation/evaluate-result.js';

/** A finished training job's outcome. */
export interface TrainResultValue {
  modelVersion: string;
  bestEpoch: number;
  epochsRun: number;
  /** Validation figures of the best epoch at the tuned thresholds. */
  validation: EvaluateResultValue;
  imagesUsed: number;
  imagesSkipped: number;
  trainSeconds: number;
  imagesPerSecond: number;
  /** Which images were skipped and why, for the job message; empty when none. */
  note: string;
}
