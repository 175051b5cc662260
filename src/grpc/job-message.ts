/**
 * Converts a job record into the API's `Job` message.
 */
import type { JobKind, JobRecord, JobState, TrainProgress } from '../jobs/job.js';
import { toTimestamp } from './model-message.js';

const KIND_NAMES: Record<JobKind, string> = {
  train: 'JOB_KIND_TRAIN',
  cluster: 'JOB_KIND_CLUSTER',
  augment: 'JOB_KIND_AUGMENT',
  evaluate: 'JOB_KIND_EVALUATE',
};

const STATE_NAMES: Record<JobState, string> = {
  queued: 'JOB_STATE_QUEUED',
  running: 'JOB_STATE_RUNNING',
  succeeded: 'JOB_STATE_SUCCEEDED',
  failed: 'JOB_STATE_FAILED',
  cancelled: 'JOB_STATE_CANCELLED',
};

/** The `labelwise.v1.Job` message as proto-loader expects it. */
export interface JobMessage {
  id: string;
  kind: string;
  state: string;
  progress: number;
  message: string;
  createdAt: { seconds: number; nanos: number };
  startedAt: { seconds: number; nanos: number } | null;
  finishedAt: { seconds: number; nanos: number } | null;
  trainProgress: TrainProgress | null;
  train?: unknown;
  cluster?: unknown;
  augment?: unknown;
  evaluate?: unknown;
}

/** The Job message of `record`; the result goes in the oneof field named after its kind. */
export function toJobMessage(record: JobRecord): JobMessage {
  const message: JobMessage = {
    id: record.id,
    kind: KIND_NAMES[record.kind],
    state: STATE_NAMES[record.state],
    progress: record.progress,
    message: record.message,
    createdAt: toTimestamp(record.createdAtMs),
    startedAt: record.startedAtMs === undefined ? null : toTimestamp(record.startedAtMs),
    finishedAt: record.finishedAtMs === undefined ? null : toTimestamp(record.finishedAtMs),
    trainProgress: record.trainProgress ?? null,
  };
  if (record.result !== undefined) message[record.result.kind] = record.result.value;
  return message;
}
