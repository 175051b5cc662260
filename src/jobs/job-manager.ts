/**
 * Runs background jobs (train, cluster, augment, evaluate) one at a time in submission order,
 * remembers them through a `JobStore`, lets callers cancel and watch them, and turns a job body's
 * outcome into a final state whose message is safe to show to callers.
 *
 * Every kind is heavy (it saturates the two cores the service gets), so there is a single queue
 * and a single running job rather than a pool.
 *
 * Writing jobs to the store (with its progress throttle) lives in `job-saver.ts`, and the
 * listeners of `watch` in `job-watchers.ts`; what remains, about 400 lines, is the queue and the
 * state machine of a job, which read best together.
 */
import {
  CancelledError,
  DomainError,
  NotFoundError,
  PreconditionError,
  ResourceExhaustedError,
  asError,
} from '../errors/domain-errors.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { settlesWithin } from '../util/settles-within.js';
import { newJobId } from './job-id.js';
import { JobSaver } from './job-saver.js';
import {
  STOPPED_BEFORE_START_MESSAGE,
  STOPPED_WHILE_RUNNING_MESSAGE,
  JobStore,
} from './job-store.js';
import {
  isTerminalState,
  type JobKind,
  type JobProgressUpdate,
  type JobRecord,
  type JobResult,
  type JobState,
} from './job.js';
import { JobWatchers, type JobListener } from './job-watchers.js';

export type { JobListener } from './job-watchers.js';

/** What a job body gets from the manager while it runs. */
export interface JobContext {
  readonly jobId: string;
  /**
   * Aborted when the job is cancelled or the server shuts down. The body should stop soon after
   * and throw (a `CancelledError` is the natural choice); see `JobManager.cancel`.
   */
  readonly signal: AbortSignal;
  /** Tells watchers what the job is doing; cheap enough to call on every training step. */
  report(update: JobProgressUpdate): void;
  /** The jobs logger with `jobId` and `kind` on every event. */
  readonly log: Logger;
}

/** What a job body resolves with: the result, and optionally the job's final message. */
export interface JobOutcome extends JobResult {
  /** The finished job's message, e.g. "trained model version v3"; default "done". */
  message?: string;
}

/**
 * The work of one job. It resolves with the result or throws: a `DomainError`'s message is shown
 * to callers as the reason the job failed; any other error is logged and shown as an internal
 * error.
 */
export type JobBody = (context: JobContext) => Promise<JobOutcome>;

/**
 * Called on every state change of a job made by this manager (not for jobs read at load), with
 * the state it left (undefined for a newly queued job). The metrics module counts jobs with it.
 */
export type JobStateChangeHook = (job: JobRecord, previousState: JobState | undefined) => void;

/** How a `JobManager` is set up. */
export interface JobManagerOptions {
  store: JobStore;
  /** Jobs already in the store (what `store.load()` returned); `JobManager.open` reads them. */
  jobs?: readonly JobRecord[];
  onStateChange?: JobStateChangeHook;
  /** Shortest time between two progress-only writes of the same job; default 1000. */
  progressPersistIntervalMs?: number;
  /** Most jobs waiting at once; one more is refused with `ResourceExhaustedError`. Default 100. */
  maxQueuedJobs?: number;
  /** How long `close` waits for the running job to stop before giving up on it; default 10000. */
  closeGraceMs?: number;
  log?: Logger;
}

/** The message a client sees when a job failed for a reason that is not a `DomainError`. */
export const INTERNAL_ERROR_MESSAGE = 'internal error in the job; see the server log';

/** Why the running job's signal was aborted. */
type StopReason = 'cancel' | 'shutdown';

interface JobEntry {
  record: JobRecord;
  /** Held while queued, dropped when the job starts or is cancelled. */
  body?: JobBody;
  controller?: AbortController;
  stopReason?: StopReason;
  /** Resolves when the body has settled and the job reached its final state. */
  settled?: Promise<void>;
}

/** The job system: queue, runner, cancellation and watching, backed by a `JobStore`. */
export class JobManager {
  private readonly store: JobStore;
  private readonly onStateChange: JobStateChangeHook | undefined;
  private readonly maxQueuedJobs: number;
  private readonly closeGraceMs: number;
  private readonly log: Logger;
  private readonly saver: JobSaver;
  private readonly watchers: JobWatchers;
  private readonly entries = new Map<string, JobEntry>();
  private readonly queue: JobEntry[] = [];
  private running: JobEntry | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: JobManagerOptions) {
    this.store = options.store;
    this.onStateChange = options.onStateChange;
    this.maxQueuedJobs = options.maxQueuedJobs ?? 100;
    this.closeGraceMs = options.closeGraceMs ?? 10_000;
    this.log = options.log ?? createLogger('jobs');
    this.saver = new JobSaver(this.store, options.progressPersistIntervalMs ?? 1000, this.log);
    this.watchers = new JobWatchers(this.log);
    for (const record of options.jobs ?? []) this.entries.set(record.id, { record });
  }

  /** Loads the store's jobs (failing those a stopped server left unfinished) and starts. */
  static async open(options: Omit<JobManagerOptions, 'jobs'>): Promise<JobManager> {
    const jobs = await options.store.load();
    return new JobManager({ ...options, jobs });
  }

  /**
   * Queues a job and returns it at once, in state `queued`; it starts once every job submitted
   * before it has finished. `request` is kept for the record and must be plain data.
   *
   * @throws PreconditionError after `close`.
   * @throws ResourceExhaustedError when `maxQueuedJobs` jobs are already waiting.
   */
  submit(kind: JobKind, request: unknown, body: JobBody): JobRecord {
    if (this.closing !== undefined) {
      throw new PreconditionError('the server is shutting down and accepts no new jobs');
    }
    if (this.queue.length >= this.maxQueuedJobs) {
      throw new ResourceExhaustedError(
        `${this.queue.length} jobs are already waiting to run; try again later`,
      );
    }

    const createdAtMs = Date.now();
    const record: JobRecord = {
      id: newJobId(createdAtMs),
      kind,
      state: 'queued',
      progress: 0,
      message: 'waiting for the jobs ahead of it',
      createdAtMs,
      request: structuredClone(request),
    };
    const entry: JobEntry = { record, body };
    this.entries.set(record.id, entry);
    this.queue.push(entry);
    this.stateChanged(entry, undefined);

    // Started on a later turn so that the caller answers with the queued job first.
    setImmediate(() => this.startNext());
    return structuredClone(record);
  }

  /**
   * Resolves once every change made to any job so far is on disk (failed writes are logged, not
   * thrown). An RPC that queued a job awaits it before answering, so that a job whose id the
   * caller holds survives a crash.
   */
  saved(): Promise<void> {
    return this.store.flush();
  }

  /**
   * A copy of one job.
   *
   * @throws NotFoundError for an unknown id.
   */
  get(id: string): JobRecord {
    return structuredClone(this.entryOf(id).record);
  }

  /** Copies of every known job, newest first. */
  list(): JobRecord[] {
    const records = [...this.entries.values()].map((entry) => structuredClone(entry.record));
    return records.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  /**
   * Cancels a job and returns a copy of it. A queued job is cancelled at once. A running job's
   * signal is aborted and the job stays `running` (message "cancelling") until its body settles:
   * then it becomes `cancelled` if the body threw, or `succeeded` if it finished anyway, because
   * its result (a saved model version, a written file) exists. Cancelling a finished job is not an
   * error: it is returned unchanged, so a caller that retries a cancel sees the final state.
   *
   * @throws NotFoundError for an unknown id.
   */
  cancel(id: string): JobRecord {
    const entry = this.entryOf(id);
    const record = entry.record;

    if (record.state === 'queued') {
      const position = this.queue.indexOf(entry);
      if (position >= 0) this.queue.splice(position, 1);
      entry.body = undefined;
      record.state = 'cancelled';
      record.message = 'cancelled before it started';
      record.finishedAtMs = Date.now();
      this.stateChanged(entry, 'queued');
    } else if (record.state === 'running' && entry.stopReason === undefined) {
      entry.stopReason = 'cancel';
      record.message = 'cancelling';
      this.log.info('job cancellation requested', { jobId: id, kind: record.kind });
      this.saver.saveNow(record);
      this.watchers.notify(record);
      entry.controller?.abort(new CancelledError(`job ${id} was cancelled`));
    }
    return structuredClone(record);
  }

  /**
   * Calls `listener` with a copy of the job now, then after every change (progress, message,
   * state). A job in a terminal state is the last call: the listener is removed after it, which is
   * how a WatchJob stream knows to end (`isTerminalState(job.state)`). The returned function
   * removes the listener earlier, e.g. when the caller goes away. A listener that throws is logged
   * and kept.
   *
   * @throws NotFoundError for an unknown id.
   */
  watch(id: string, listener: JobListener): () => void {
    return this.watchers.add(this.entryOf(id).record, listener);
  }

  /**
   * Stops the manager: new submissions are refused, queued jobs fail with "the server stopped
   * before this job started", the running job's signal is aborted and the call waits (up to
   * `closeGraceMs`) for it to settle, and every pending write is flushed. A running job stopped
   * this way fails with "the server stopped while this job was running" unless a caller had
   * already cancelled it. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    for (const entry of this.queue.splice(0)) {
      entry.body = undefined;
      this.finish(entry, 'failed', STOPPED_BEFORE_START_MESSAGE);
    }

    const running = this.running;
    if (running !== undefined) {
      running.stopReason ??= 'shutdown';
      running.controller?.abort(new CancelledError('the server is shutting down'));
      const stopped = await settlesWithin(running.settled, this.closeGraceMs);
      if (!stopped && !isTerminalState(running.record.state)) {
        this.log.warn('job did not stop in time; marking it failed', {
          jobId: running.record.id,
          kind: running.record.kind,
          closeGraceMs: this.closeGraceMs,
        });
        this.finish(running, 'failed', STOPPED_WHILE_RUNNING_MESSAGE);
      }
    }

    await this.store.flush();
  }

  private entryOf(id: string): JobEntry {
    const entry = this.entries.get(id);
    if (entry === undefined) throw new NotFoundError(`job ${id} does not exist`);
    return entry;
  }

  private startNext(): void {
    if (this.running !== undefined || this.closing !== undefined) return;
    const entry = this.queue.shift();
    if (entry === undefined) return;
    const body = entry.body;
    entry.body = undefined;
    if (body === undefined) return;

    const record = entry.record;
    const controller = new AbortController();
    entry.controller = controller;
    record.state = 'running';
    record.message = 'running';
    record.startedAtMs = Date.now();
    this.running = entry;
    this.stateChanged(entry, 'queued');

    const context: JobContext = {
      jobId: record.id,
      signal: controller.signal,
      report: (update) => this.report(entry, update),
      log: this.log.child({ jobId: record.id, kind: record.kind }),
    };
    entry.settled = this.run(entry, body, context);
  }

  private async run(entry: JobEntry, body: JobBody, context: JobContext): Promise<void> {
    try {
      const result = await body(context);
      this.succeed(entry, result);
    } catch (caught) {
      this.fail(entry, caught);
    }
    if (this.running === entry) this.running = undefined;
    this.startNext();
  }

  private succeed(entry: JobEntry, outcome: JobOutcome): void {
    const record = entry.record;
    if (isTerminalState(record.state)) return;
    if (outcome?.kind !== record.kind) {
      this.fail(
        entry,
        new Error(`a ${record.kind} job returned a result of kind ${outcome?.kind}`),
      );
      return;
    }
    record.progress = 1;
    record.result = structuredClone({ kind: outcome.kind, value: outcome.value });
    this.finish(entry, 'succeeded', outcome.message ?? 'done');
  }

  private fail(entry: JobEntry, caught: unknown): void {
    const record = entry.record;
    // A late settle of a job that `close` already gave up on.
    if (isTerminalState(record.state)) return;
    const error = asError(caught);

    if (entry.stopReason === 'shutdown') {
      this.finish(entry, 'failed', STOPPED_WHILE_RUNNING_MESSAGE);
    } else if (entry.stopReason === 'cancel') {
      this.finish(entry, 'cancelled', 'cancelled while running');
    } else if (error instanceof CancelledError) {
      this.finish(entry, 'cancelled', error.message);
    } else if (error instanceof DomainError) {
      this.finish(entry, 'failed', error.message);
    } else {
      this.log.error('job failed with an internal error', {
        jobId: record.id,
        kind: record.kind,
        error,
        stack: error.stack,
      });
      this.finish(entry, 'failed', INTERNAL_ERROR_MESSAGE);
    }
  }

  private finish(entry: JobEntry, state: JobState, message: string): void {
    const record = entry.record;
    const previousState = record.state;
    record.state = state;
    record.message = message;
    record.finishedAtMs = Date.now();
    this.stateChanged(entry, previousState);
  }

  private report(entry: JobEntry, update: JobProgressUpdate): void {
    const record = entry.record;
    // Reports that arrive after the job settled would rewrite history.
    if (record.state !== 'running') return;
    if (update.progress !== undefined && Number.isFinite(update.progress)) {
      record.progress = Math.min(1, Math.max(0, update.progress));
    }
    if (update.message !== undefined) record.message = update.message;
    if (update.trainProgress !== undefined) record.trainProgress = { ...update.trainProgress };
    this.watchers.notify(record);
    this.saver.saveSoon(record);
  }

  /** Logs, counts, saves and announces a state change. */
  private stateChanged(entry: JobEntry, previousState: JobState | undefined): void {
    const record = entry.record;
    this.log.info('job state changed', {
      jobId: record.id,
      kind: record.kind,
      state: record.state,
      previousState,
      message: record.message,
    });
    if (this.onStateChange !== undefined) {
      try {
        this.onStateChange(structuredClone(record), previousState);
      } catch (caught) {
        this.log.warn('job state hook threw', { jobId: record.id, error: asError(caught) });
      }
    }
    this.saver.saveNow(record);
    this.watchers.notify(record);
    if (isTerminalState(record.state)) this.watchers.end(record.id);
  }
}
