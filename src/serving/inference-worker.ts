/**
 * The serving thread's side of the inference worker: starts the worker thread, sends it requests
 * and matches replies. If the worker dies it is started again, and models load again on first use
 * (see `ServedModel`), so one crash costs the in-flight batch, not the service.
 */
import { Worker } from 'node:worker_threads';
import { fromErrorMessage } from '../jobs/worker-protocol.js';
import { createLogger } from '../logging/logger.js';
import type { TensorMemory } from '../metrics/service-metrics.js';
import type {
  InferenceReply,
  InferenceRequest,
  InferenceWorkerData,
} from './inference-protocol.js';

const log = createLogger('inference-worker');

/** A request before it is numbered; the conditional type keeps each variant separate. */
type RequestBody = InferenceRequest extends infer Variant
  ? Variant extends InferenceRequest
    ? Omit<Variant, 'id'>
    : never
  : never;

interface Pending {
  resolve(reply: InferenceReply): void;
  reject(error: Error): void;
}

/** Runs model calls in a worker thread. */
export class InferenceWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  /** Counts worker starts; a model loaded in an earlier generation must be loaded again. */
  private generationCount = 0;

  constructor(private readonly data: InferenceWorkerData) {
    this.start();
  }

  /** Which worker is running; models remember the generation they were loaded in. */
  get generation(): number {
    return this.generationCount;
  }

  /** Loads `version` from the store under `handle`. */
  async load(handle: string, version: string): Promise<void> {
    await this.request({ type: 'load', handle, version });
  }

  /** Probabilities (`count` x labels) of the images whose normalised inputs are in `inputs`. */
  async score(handle: string, inputs: Float32Array, count: number): Promise<Float32Array> {
    const reply = await this.request({ type: 'score', handle, inputs, count }, [
      inputs.buffer as ArrayBuffer,
    ]);
    if (reply.type !== 'scores')
      throw new Error('the inference worker answered a score without scores');
    return reply.probabilities;
  }

  /** Frees the model loaded under `handle`. */
  async unload(handle: string): Promise<void> {
    await this.request({ type: 'unload', handle });
  }

  /** Live tensors and their bytes in the worker. */
  async memory(): Promise<TensorMemory> {
    const reply = await this.request({ type: 'memory' });
    return (reply as { value: TensorMemory }).value;
  }

  /** Stops the worker; pending requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }

  private start(): void {
    const worker = new Worker(new URL('./inference-worker-entry.js', import.meta.url), {
      workerData: this.data,
    });
    this.generationCount++;
    worker.on('message', (reply: InferenceReply) => {
      const pending = this.pending.get(reply.id);
      if (pending === undefined) return;
      this.pending.delete(reply.id);
      if (reply.type === 'error') pending.reject(fromErrorMessage(reply));
      else pending.resolve(reply);
    });
    worker.on('error', (error) => log.error('inference worker failed', { error }));
    worker.on('exit', (code) => {
      for (const pending of this.pending.values()) {
        pending.reject(new Error(`the inference worker stopped (exit code ${code})`));
      }
      this.pending.clear();
      if (this.closed) return;
      log.error('inference worker stopped; starting a new one', { exitCode: code });
      this.start();
    });
    this.worker = worker;
  }

  private request(body: RequestBody, transfer: ArrayBuffer[] = []): Promise<InferenceReply> {
    const worker = this.worker;
    if (worker === undefined || this.closed) {
      return Promise.reject(new Error('the inference worker is closed'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...body, id }, transfer);
    });
  }
}
