/**
 * How the CLI names and formats what the API returns. The message types themselves live in
 * `src/grpc/api-messages.ts`.
 */
import type { TimestampMessage } from '../grpc/api-messages.js';

export type {
  AugmentResultMessage,
  ClusterResultMessage,
  JobMessage,
  ModelMessage,
  PredictionMessage,
  PredictResponseMessage,
  TimestampMessage,
  TrainResultMessage,
} from '../grpc/api-messages.js';

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
