/**
 * Converts a job record into the API's `Job` message.
 */
import type { JobKind, JobRecord, JobState } from '../jobs/job.js';
import type { JobMessage } from './api-messages.js';
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
  // The value is the result message of its kind, which the job of that kind built.
  if (record.result !== undefined) {
    (message as unknown as Record<string, unknown>)[record.result.kind] = record.result.value;
  }
  return message;
}
