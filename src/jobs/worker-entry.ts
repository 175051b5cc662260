/**
 * The worker side of `runInWorker`: a job module calls `serveWorkerJob` at its top level, and
 * when the module is loaded as a worker the handler runs with the input the main thread sent.
 *
 * @example
 * // src/training/train-worker.ts; the main thread starts it with
 * // runInWorker({ moduleUrl: new URL('./train-worker.js', import.meta.url), input, context })
 * serveWorkerJob(async (input, { signal, report }) => train(input as TrainInput, signal, report));
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { JobProgressUpdate } from './job.js';
import {
  toErrorMessage,
  type WorkerJobData,
  type WorkerProgressMessage,
  type WorkerResultMessage,
} from './worker-protocol.js';

/** What a worker-side handler gets besides its input. */
export interface WorkerJobContext {
  /** Aborted when the main thread cancels the job; stop and throw `CancelledError`. */
  signal: AbortSignal;
  /** Sent to the main thread and on to the job's watchers. */
  report(update: JobProgressUpdate): void;
}

/** The work a job worker does; it resolves with a structured-cloneable result. */
export type WorkerJobHandler = (input: unknown, context: WorkerJobContext) => Promise<unknown>;

/**
 * Runs `handler` once with the main thread's input and sends back its result or error. Does
 * nothing on the main thread, so a job module can also be imported there (for its types or its
 * URL) without side effects.
 */
export function serveWorkerJob(handler: WorkerJobHandler): void {
  const port = parentPort;
  if (isMainThread || port === null) return;

  const controller = new AbortController();
  port.on('message', (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type === 'cancel') controller.abort();
  });
  const context: WorkerJobContext = {
    signal: controller.signal,
    report: (update) => {
      const message: WorkerProgressMessage = { type: 'progress', update };
      port.postMessage(message);
    },
  };

  const { input } = workerData as WorkerJobData;
  void (async () => {
    try {
      const value = await handler(input, context);
      const message: WorkerResultMessage = { type: 'result', value };
      port.postMessage(message);
    } catch (caught) {
      port.postMessage(toErrorMessage(caught));
    }
    // The port stays open (its listener keeps the worker alive); the main thread terminates the
    // worker once it has the outcome, which also ends anything the handler left running.
  })();
}
