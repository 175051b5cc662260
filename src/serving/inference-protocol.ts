/**
 * Messages between the serving thread and the inference worker thread.
 */
import type { WorkerErrorMessage } from '../jobs/worker-protocol.js';

/** What the inference worker gets as `workerData`. */
export interface InferenceWorkerData {
  homeDir: string;
  backend: string;
}

/** Serving thread to worker: one request, answered by a reply with the same `id`. */
export type InferenceRequest =
  | { id: number; type: 'load'; handle: string; version: string }
  | { id: number; type: 'score'; handle: string; inputs: Float32Array; count: number }
  | { id: number; type: 'unload'; handle: string }
  | { id: number; type: 'memory' };

/** Worker to serving thread: the outcome of request `id`. */
export type InferenceReply =
  | { id: number; type: 'ok'; value?: unknown }
  | { id: number; type: 'scores'; probabilities: Float32Array }
  | ({ id: number } & WorkerErrorMessage);
