/**
 * Messages between a training worker and its gradient helper: a second worker thread that
 * computes the gradients of half of each batch on the second core (data-parallel training).
 */
import type { WorkerErrorMessage } from '../jobs/worker-protocol.js';

/** What the helper gets as `workerData`: enough to build the same model and loss. */
export interface GradientHelperData {
  backend: string;
  architecture: string;
  inputSize: number;
  labelCount: number;
  loss: string;
  positiveWeights: Float32Array;
  negativeWeights: Float32Array;
}

/** Training worker to helper: the gradients of this half batch at these weights. */
export interface GradientRequest {
  /** Every model weight, in `getWeights()` order. */
  weights: Float32Array[];
  images: Float32Array;
  labels: Float32Array;
  count: number;
}

/** Helper to training worker: the loss and the gradients, in `trainableWeights` order. */
export type GradientReply =
  { type: 'gradients'; loss: number; gradients: Float32Array[] } | WorkerErrorMessage;
