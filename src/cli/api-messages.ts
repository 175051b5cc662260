/**
 * The `labelwise.v1` messages as the CLI receives them from proto-loader (camelCase fields, enums
 * as names, int64 as numbers): only the fields the CLI reads.
 */
import type { EvaluateResultValue } from '../evaluation/evaluate-result.js';
import type { TrainProgress } from '../jobs/job.js';

/** A `google.protobuf.Timestamp`. */
export interface TimestampMessage {
  seconds: number;
  nanos: number;
}

/** `TrainResult`. */
export interface TrainResultMessage {
  modelVersion: string;
  bestEpoch: number;
  epochsRun: number;
  validation: EvaluateResultValue | null;
  imagesUsed: number;
  imagesSkipped: number;
  trainSeconds: number;
  imagesPerSecond: number;
}

/** `ClusterResult`. */
export interface ClusterResultMessage {
  sizes: number[];
  output: string;
  features: string;
  inertia: number;
}

/** `AugmentResult`. */
export interface AugmentResultMessage {
  added: Record<string, number>;
  outputManifest: string;
  imagesAdded: number;
  redraws: number;
}

/** `Job`; `result` names the one result field that is set. */
export interface JobMessage {
  id: string;
  kind: string;
  state: string;
  progress: number;
  message: string;
  createdAt: TimestampMessage | null;
  startedAt: TimestampMessage | null;
  finishedAt: TimestampMessage | null;
  trainProgress: TrainProgress | null;
  result?: 'train' | 'cluster' | 'augment' | 'evaluate';
  train?: TrainResultMessage | null;
  cluster?: ClusterResultMessage | null;
  augment?: AugmentResultMessage | null;
  evaluate?: EvaluateResultValue | null;
}

/** `Model`. */
export interface ModelMessage {
  version: string;
  active: boolean;
  labels: string[];
  inputSize: number;
  threshold: number;
  labelThresholds: Record<string, number>;
  metrics: Record<string, number>;
  architecture: string;
  createdAt: TimestampMessage | null;
  jobId: string;
  parentVersion: string;
}

/** `Prediction`. */
export interface PredictionMessage {
  id: string;
  labels: string[];
  scores: { label: string; score: number }[];
}

/** `PredictResponse`. */
export interface PredictResponseMessage {
  modelVersion: string;
  predictions: PredictionMessage[];
}

/** The job states after which a job never changes again. */
export const TERMINAL_JOB_STATES: readonly string[] = [
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
];

/** A job state without its `JOB_STATE_` prefix, in lower case: `running`. */
export function shortState(state: string): string {
  return state.replace(/^JOB_STATE_/, '').toLowerCase();
}

/** A job kind without its `JOB_KIND_` prefix, in lower case: `train`. */
export function shortKind(kind: string): string {
  return kind.replace(/^JOB_KIND_/, '').toLowerCase();
}

/** A timestamp as an ISO 8601 string, or an empty string when unset. */
export function formatTimestamp(timestamp: TimestampMessage | null | undefined): string {
  if (!timestamp) return '';
  return new Date(timestamp.seconds * 1000 + Math.floor(timestamp.nanos / 1e6)).toISOString();
}
