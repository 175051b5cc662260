/**
 * The `labelwise.v1` messages as plain objects, the way proto-loader hands them over (camelCase
 * fields, enums as names, int64 as numbers). The server builds them and clients read them.
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
