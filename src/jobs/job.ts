/**
 * The job record: what the service remembers about one background Train, Cluster, Augment or
 * Evaluate run. It is persisted as JSON and converted to the proto `Job` at the gRPC boundary.
 *
 * Times are epoch milliseconds (UTC), named `...AtMs`; the gRPC layer turns them into
 * `google.protobuf.Timestamp`.
 */

/** What a job does; the proto's `JOB_KIND_<KIND>` in lower case. */
export type JobKind = 'train' | 'cluster' | 'augment' | 'evaluate';

/** Where a job is in its life; the proto's `JOB_STATE_<STATE>` in lower case. */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Every job kind, for validation and for the metrics module's label values. */
export const JOB_KINDS: readonly JobKind[] = ['train', 'cluster', 'augment', 'evaluate'];

/** Every job state, for validation and for the metrics module's label values. */
export const JOB_STATES: readonly JobState[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
];

/** True once a job can no longer change: succeeded, failed or cancelled. */
export function isTerminalState(state: JobState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}

/** Live figures of a training job, the proto's `TrainProgress` in camelCase. */
export interface TrainProgress {
  /** The current epoch, counted from 1. */
  epoch: number;
  epochs: number;
  /** The current step within the epoch, counted from 1. */
  step: number;
  stepsPerEpoch: number;
  loss: number;
  validationLoss: number;
  validationF1Micro: number;
  validationF1Macro: number;
  imagesPerSecond: number;
  /** Estimated time left. */
  etaSeconds: number;
}

/** What a running job tells its watchers; fields left out keep their previous value. */
export interface JobProgressUpdate {
  /** Fraction done, from 0 to 1; values outside are clamped. */
  progress?: number;
  /** What the job is doing now, shown to callers. */
  message?: string;
  /** Replaces the previous train progress as a whole. */
  trainProgress?: TrainProgress;
}

/**
 * The outcome of a successful job. `value` is a plain JSON object shaped like the proto result of
 * the same kind in camelCase (`TrainResult`, `ClusterResult`, `AugmentResult`, `EvaluateResult`).
 */
export interface JobResult {
  kind: JobKind;
  value: unknown;
}

/** One background job as stored and as shown to callers. */
export interface JobRecord {
  /** Sortable and unique, see `newJobId`; sorting ids sorts jobs by creation time. */
  id: string;
  kind: JobKind;
  state: JobState;
  /** Fraction done, from 0 to 1. */
  progress: number;
  /** What the job is doing now, or why it failed or was cancelled. */
  message: string;
  createdAtMs: number;
  /** Set when the job leaves the queue. */
  startedAtMs?: number;
  /** Set when the job reaches a terminal state. */
  finishedAtMs?: number;
  /** Live figures of a training job; absent for other kinds. */
  trainProgress?: TrainProgress;
  /** Present once the job succeeded. */
  result?: JobResult;
  /** The request as received, kept for the record. */
  request: unknown;
}
