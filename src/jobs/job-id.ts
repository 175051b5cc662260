/**
 * Job ids: `job-<yyyymmddhhmmssSSS>-<6 hex digits>`, the creation time in UTC followed by random
 * digits, e.g. `job-20250314092653042-9f3a1c`. Ids of the same length sort as their creation
 * times do, so listing newest first is a reverse sort of the ids.
 */
import { randomBytes } from 'node:crypto';

const JOB_ID_PATTERN = /^job-\d{17}-[0-9a-f]{6}$/;

let lastTimeMs = 0;

/**
 * A new job id. Ids made by one process strictly increase: when two jobs are created in the same
 * millisecond (or the clock steps back) the time part is moved one millisecond past the previous
 * id's, so the order of ids is the order of submission.
 */
export function newJobId(nowMs: number = Date.now()): string {
  const timeMs = Math.max(nowMs, lastTimeMs + 1);
  lastTimeMs = timeMs;
  const digits = new Date(timeMs).toISOString().replace(/\D/g, '');
  return `job-${digits}-${randomBytes(3).toString('hex')}`;
}

/** True for strings shaped like the ids `newJobId` makes (safe to use in a file name). */
export function isJobId(value: string): boolean {
  return JOB_ID_PATTERN.test(value);
}
