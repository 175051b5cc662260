/**
 * The listeners of each job for the `JobManager`: who is watching which job, and handing each of
 * them a copy of the job on every change.
 */
import { asError } from '../errors/domain-errors.js';
import type { Logger } from '../logging/logger.js';
import { isTerminalState, type JobRecord } from './job.js';

/** Receives a copy of a job on every change. */
export type JobListener = (job: JobRecord) => void;

/** The listeners of every job, by job id. A listener that throws is logged and kept. */
export class JobWatchers {
  private readonly listeners = new Map<string, Set<JobListener>>();

  /** @param log The jobs logger; a listener that throws is a warning on it. */
  constructor(private readonly log: Logger) {}

  /**
   * Calls `listener` with a copy of `record` now and, unless the job has ended, keeps it for the
   * job's later changes. Returns the function that removes it.
   */
  add(record: JobRecord, listener: JobListener): () => void {
    this.deliver(listener, record);
    if (isTerminalState(record.state)) return () => undefined;
    let jobListeners = this.listeners.get(record.id);
    if (jobListeners === undefined) {
      jobListeners = new Set();
      this.listeners.set(record.id, jobListeners);
    }
    jobListeners.add(listener);
    const added = jobListeners;
    return () => {
      added.delete(listener);
    };
  }

  /** Gives every listener of the job a copy of `record`. */
  notify(record: JobRecord): void {
    const jobListeners = this.listeners.get(record.id);
    if (jobListeners === undefined) return;
    for (const listener of [...jobListeners]) this.deliver(listener, record);
  }

  /** Drops every listener of a job; called after the job's last (terminal) notification. */
  end(jobId: string): void {
    this.listeners.get(jobId)?.clear();
    this.listeners.delete(jobId);
  }

  private deliver(listener: JobListener, record: JobRecord): void {
    try {
      listener(structuredClone(record));
    } catch (caught) {
      this.log.warn('job listener threw', { jobId: record.id, error: asError(caught) });
    }
  }
}
