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

/** A worker that dies within this time of starting counts as a failed start. */
const FAILED_START_MS = 5000;
/** Restart delays grow from this, doubling after each failed start, up to the maximum. */
const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 30_000;

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
  /** Counts worker lives; a model loaded in an earlier generation must be loaded again. */
  private generationCount = 1;
  /** Resolves when the next worker has started, while one is being restarted. */
  private restarted: Promise<void> | undefined;
  private signalRestarted: (() => void) | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Failed starts in a row, so a worker that cannot start is not restarted in a tight loop. */
  private failedStarts = 0;

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
    clearTimeout(this.restartTimer);
    this.signalRestarted?.();
    await this.worker?.terminate();
  }

  private start(): void {
    const startedAtMs = Date.now();
    const worker = new Worker(new URL('./inference-worker-entry.js', import.meta.url), {
      workerData: this.data,
    });
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
      this.worker = undefined;
      // Models loaded in the dead worker must load again before their next use.
      this.generationCount++;
      if (this.closed) return;
      this.restarted = new Promise((resolve) => (this.signalRestarted = resolve));
      this.failedStarts = Date.now() - startedAtMs < FAILED_START_MS ? this.failedStarts + 1 : 0;
      const delayMs = Math.min(
        MAX_RESTART_DELAY_MS,
        this.failedStarts === 0 ? 0 : FIRST_RESTART_DELAY_MS * 2 ** (this.failedStarts - 1),
      );
      log.error('inference worker stopped; starting a new one', { exitCode: code, delayMs });
      this.restartTimer = setTimeout(() => this.start(), delayMs);
    });
    this.worker = worker;
    this.signalRestarted?.();
    this.restarted = undefined;
    this.signalRestarted = undefined;
  }

  private async request(body: RequestBody, transfer: ArrayBuffer[] = []): Promise<InferenceReply> {
    // Requests made while a dead worker is being replaced wait for the new one.
    if (this.worker === undefined && !this.closed) await this.restarted;
    const worker = this.worker;
    if (worker === undefined || this.closed) throw new Error('the inference worker is closed');
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...body, id }, transfer);
    });
  }
}
