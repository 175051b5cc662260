/**
 * The training worker's side of the gradient helper (see `gradient-helper-entry.ts`): a second
 * thread that computes the gradients of half of every batch, so that training uses two cores.
 * TensorFlow.js's wasm backend runs single-threaded in Node, so this is how a training job gets
 * the second core.
 */
import { Worker } from 'node:worker_threads';
import { fromErrorMessage } from '../jobs/worker-protocol.js';
import type {
  GradientHelperData,
  GradientReply,
  GradientRequest,
} from './gradient-helper-protocol.js';

/** A running gradient helper; one request at a time. */
export class GradientHelper {
  private pending: { resolve(reply: GradientReply): void; reject(error: Error): void } | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: GradientReply) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve(reply);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the gradient helper stopped (exit ${code})`)));
  }

  /** Starts a helper that builds the same model and loss as the training worker. */
  static start(data: GradientHelperData): GradientHelper {
    const worker = new Worker(new URL('./gradient-helper-entry.js', import.meta.url), {
      workerData: data,
    });
    return new GradientHelper(worker);
  }

  /** The loss and gradients (in `trainableWeights` order) of a half batch at `weights`. */
  async gradients(request: GradientRequest): Promise<{ loss: number; gradients: Float32Array[] }> {
    if (this.pending !== undefined) throw new Error('the gradient helper is busy');
    const reply = await new Promise<GradientReply>((resolve, reject) => {
      this.pending = { resolve, reject };
      const transfer = [
        request.images.buffer,
        request.labels.buffer,
        ...request.weights.map((w) => w.buffer),
      ];
      this.worker.postMessage(request, transfer as ArrayBuffer[]);
    });
    if (reply.type === 'error') throw fromErrorMessage(reply);
    return reply;
  }

  /** Stops the helper thread. */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }
}
