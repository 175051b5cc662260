/**
 * Starting a job and, unless detached, following it to its end with a progress bar.
 */
import type { JobMessage } from './api-messages.js';
import { TERMINAL_JOB_STATES } from './api-messages.js';
import { JobProgressBar } from './job-progress-bar.js';
import type { LabelwiseClient } from './labelwise-client.js';

/**
 * Follows `job` with WatchJob until it ends, drawing progress on `progressStream`, and returns
 * its final state. A job that has already ended is returned as it is.
 */
export async function followJob(
  client: LabelwiseClient,
  job: JobMessage,
  progressStream: NodeJS.WritableStream = process.stderr,
): Promise<JobMessage> {
  if (TERMINAL_JOB_STATES.includes(job.state)) return job;
  const bar = new JobProgressBar(progressStream);
  try {
    const last = await client.watchJob(job.id, (update) => bar.update(update));
    // The stream ends only after the terminal state; an early end means the server went away.
    if (last === undefined || !TERMINAL_JOB_STATES.includes(last.state)) {
      throw new Error(
        `the server stopped sending updates for job ${job.id} before it ended; ` +
          `see: labelwise jobs`,
      );
    }
    return last;
  } finally {
    bar.finish();
  }
}
