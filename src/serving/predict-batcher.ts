/**
 * Dynamic batching: images from concurrent Predict calls wait in one queue and are scored in one
 * model call, up to `maxBatchSize` images or `maxQueueDelayMs` after the oldest arrived, as in
 * TensorFlow Serving and Triton. Only one model call runs at a time; images that arrive meanwhile
 * form the next batch.
 */
import { DeadlineExceededError, ResourceExhaustedError } from '../errors/domain-errors.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import { normalizePixels } from './image-decoder.js';
import type { ServedModel } from './served-model.js';

/** Batching settings. */
export interface BatchingOptions {
  maxBatchSize: number;
  maxQueueDelayMs: number;
  /** Images allowed to wait; beyond it, submissions fail fast. */
  maxQueueDepth: number;
}

interface QueuedImage {
  model: ServedModel;
  pixels: Uint8Array;
  enqueuedAtMs: number;
  /** Epoch milliseconds after which the caller no longer wants the answer. */
  deadlineMs: number;
  resolve(probabilities: Float32Array): void;
  reject(error: Error): void;
}

/** Merges images from many callers into batched model calls. */
export class PredictBatcher {
  private readonly queue: QueuedImage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly options: BatchingOptions,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** Images waiting for a model call. */
  get depth(): number {
    return this.queue.length;
  }

  /**
   * Checks that `count` more images fit in the queue; throws ResourceExhaustedError otherwise.
   * Callers check a whole request up front so that none of its images is queued in vain.
   */
  reserve(count: number): void {
    if (this.queue.length + count > this.options.maxQueueDepth) {
      this.metrics.rejectedImages.inc({ reason: 'queue_full' });
      throw new ResourceExhaustedError(
        `the predict queue is full (${this.queue.length} images waiting, ` +
          `limit ${this.options.maxQueueDepth}); retry later`,
      );
    }
  }

  /**
   * Queues one image (RGB pixels at the model's input size) and resolves with its label
   * probabilities. The caller must hold a reference to `model` until the promise settles.
   */
  submit(model: ServedModel, pixels: Uint8Array, deadlineMs = Infinity): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({ model, pixels, enqueuedAtMs: Date.now(), deadlineMs, resolve, reject });
      this.metrics.queueDepth.set(this.queue.length);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queue.length >= this.options.maxBatchSize || this.options.maxQueueDelayMs === 0) {
      this.flushSoon();
      return;
    }
    if (this.timer !== undefined) return;
    const oldest = this.queue[0] as QueuedImage;
    const waitMs = Math.max(0, oldest.enqueuedAtMs + this.options.maxQueueDelayMs - Date.now());
    this.timer = setTimeout(() => this.flushSoon(), waitMs);
  }

  private flushSoon(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = true;
    // Let callbacks queued in this tick add their images before the batch is cut.
    setImmediate(() => {
      this.runBatch().finally(() => {
        this.running = false;
        this.schedule();
      });
    });
  }

  private takeBatch(): QueuedImage[] {
    const nowMs = Date.now();
    const batch: QueuedImage[] = [];
    const model = this.queue[0]?.model;
    for (let i = 0; i < this.queue.length && batch.length < this.options.maxBatchSize;) {
      const item = this.queue[i] as QueuedImage;
      if (item.deadlineMs <= nowMs) {
        this.queue.splice(i, 1);
        this.metrics.rejectedImages.inc({ reason: 'deadline' });
        item.reject(new DeadlineExceededError('the deadline passed while the image was queued'));
      } else if (item.model === model) {
        this.queue.splice(i, 1);
        batch.push(item);
      } else {
        i++;
      }
    }
    this.metrics.queueDepth.set(this.queue.length);
    return batch;
  }

  private async runBatch(): Promise<void> {
    const batch = this.takeBatch();
    const first = batch[0];
    if (first === undefined) return;
    const model = first.model;
    const startedAtMs = Date.now();
    const inputs = new Float32Array(batch.length * model.inputLength);
    batch.forEach((item, index) => {
      this.metrics.queueDuration.observe((startedAtMs - item.enqueuedAtMs) / 1000);
      normalizePixels(item.pixels, inputs, index * model.inputLength);
    });
    try {
      const probabilities = await model.score(inputs, batch.length);
      const labels = model.labelCount;
      batch.forEach((item, index) =>
        item.resolve(probabilities.subarray(index * labels, (index + 1) * labels)),
      );
      this.metrics.imagesPredicted.inc(batch.length);
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      for (const item of batch) item.reject(error);
    } finally {
      this.metrics.batchSize.observe(batch.length);
      this.metrics.inferenceDuration.observe((Date.now() - startedAtMs) / 1000);
    }
  }
}
