/**
 * Runs a job body in a worker thread, so that heavy TensorFlow.js work does not stall the gRPC
 * server's event loop. The worker module calls `serveWorkerJob` (see `worker-entry.ts`).
 */
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../errors/domain-errors.js';
import type { JobContext } from './job-manager.js';
import {
  fromErrorMessage,
  isWorkerToMainMessage,
  type WorkerCancelMessage,
  type WorkerJobData,
} from './worker-protocol.js';

/** Time a cancelled worker gets to stop by itself before it is terminated. */
export const DEFAULT_CANCEL_GRACE_MS = 5000;

/** What `runInWorker` runs and for which job. */
export interface WorkerJobOptions {
  /**
   * The compiled `.js` module that calls `serveWorkerJob` at its top level, e.g.
   * `new URL('./train-worker.js', import.meta.url)` from a compiled file beside it. A `.ts`
   * source cannot be started: workers load what tsc emitted into `dist/`.
   */
  moduleUrl: URL;
  /** Given to the worker's handler; must be structured-cloneable plain data. */
  input: unknown;
  /** The job's context: its signal cancels the worker, its `report` receives progress. */
  context: Pick<JobContext, 'jobId' | 'signal' | 'report' | 'log'>;
  /** Default `DEFAULT_CANCEL_GRACE_MS`. */
  cancelGraceMs?: number;
}

/**
 * Starts a worker on `moduleUrl`, forwards its progress to `context.report`, and resolves with
 * the value its handler resolved with. It rejects with the same `DomainError` class and message
 * the handler threw, with a plain `Error` for anything else the handler threw, and with a plain
 * `Error` when the worker crashes or exits without a result.
 *
 * On abort of `context.signal` the worker is asked to cancel; if it has not settled within
 * `cancelGraceMs` it is terminated and the promise rejects with `CancelledError`. A result the
 * worker sends during the grace period still resolves the promise.
 */
export function runInWorker<T>(options: WorkerJobOptions): Promise<T> {
  const { moduleUrl, input, context } = options;
  const cancelGraceMs = options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
  const { signal, log } = context;
  if (signal.aborted) {
    return Promise.reject(new CancelledError(`job ${context.jobId} was cancelled`));
  }

  return new Promise<T>((resolve, reject) => {
    const workerData: WorkerJobData = { input };
    const worker = new Worker(moduleUrl, { workerData });
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      clearTimeout(graceTimer);
      outcome();
      // The handler is done; anything it left running (timers, TensorFlow.js state) goes too.
      void worker.terminate();
    };

    const onAbort = (): void => {
      const cancel: WorkerCancelMessage = { type: 'cancel' };
      worker.postMessage(cancel);
      graceTimer = setTimeout(() => {
        log.warn('job worker did not stop in time; terminating it', {
          jobId: context.jobId,
          cancelGraceMs,
        });
        settle(() => reject(new CancelledError(`job ${context.jobId} was cancelled`)));
      }, cancelGraceMs);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (message: unknown) => {
      if (settled || !isWorkerToMainMessage(message)) return;
      if (message.type === 'progress') {
        context.report(message.update);
      } else if (message.type === 'result') {
        settle(() => resolve(message.value as T));
      } else {
        settle(() => reject(fromErrorMessage(message)));
      }
    });
    worker.on('error', (error) => {
      settle(() => reject(new Error(`the job worker crashed: ${error.message}`, { cause: error })));
    });
    worker.on('messageerror', (error) => {
      settle(() => reject(new Error(`a job worker message could not be read: ${error.message}`)));
    });
    worker.on('exit', (code) => {
      settle(() =>
        reject(
          new Error(
            code === 0
              ? 'the job worker exited without a result'
              : `the job worker exited with code ${code}`,
          ),
        ),
      );
    });
  });
}
