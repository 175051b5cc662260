/**
 * A model version loaded in memory and ready to score images. It counts the callers using it, so
 * that a version swapped out keeps serving its in-flight batches and is disposed only after the
 * last one finishes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { createLogger } from '../logging/logger.js';
import type { ModelMetadata } from '../store/model-metadata.js';

const log = createLogger('served-model');

/** A loaded, reference-counted model version. */
export class ServedModel {
  /** Per-label thresholds in output order: tuned ones, else the model's default. */
  readonly thresholds: Float32Array;
  /** Values in one image's model input (size x size x 3). */
  readonly inputLength: number;
  private references = 0;
  private retired = false;
  private disposed = false;

  constructor(
    readonly version: string,
    readonly metadata: ModelMetadata,
    private readonly model: LayersModel | GraphModel,
  ) {
    this.thresholds = Float32Array.from(
      metadata.labels,
      (label) => metadata.labelThresholds[label] ?? metadata.threshold,
    );
    this.inputLength = metadata.inputSize * metadata.inputSize * 3;
  }

  /** The number of labels the model scores. */
  get labelCount(): number {
    return this.metadata.labels.length;
  }

  /** Takes a reference; every `acquire` must be matched by one `release`. */
  acquire(): this {
    if (this.disposed) throw new Error(`model version ${this.version} is already disposed`);
    this.references++;
    return this;
  }

  /** Drops a reference; a retired model is disposed when the last one goes. */
  release(): void {
    this.references--;
    this.disposeIfUnused();
  }

  /** Marks the model as no longer offered to new callers. */
  retire(): void {
    this.retired = true;
    this.disposeIfUnused();
  }

  /**
   * Scores `count` images whose normalised inputs (see `normalizePixels`) are concatenated in
   * `inputs`, and returns the sigmoid probabilities, `count` x labels, row-major.
   */
  async score(inputs: Float32Array, count: number): Promise<Float32Array> {
    const size = this.metadata.inputSize;
    const probabilities = tf.tidy(() => {
      const input = tf.tensor4d(inputs, [count, size, size, 3], 'float32');
      const logits = this.model.predict(input) as tf.Tensor;
      return tf.sigmoid(logits);
    });
    try {
      return (await probabilities.data()) as Float32Array;
    } finally {
      probabilities.dispose();
    }
  }

  /** Runs one prediction on a blank image so that the first caller does not pay for set-up. */
  async warmUp(): Promise<void> {
    const probabilities = await this.score(new Float32Array(this.inputLength), 1);
    if (probabilities.length !== this.labelCount) {
      throw new Error(
        `model version ${this.version} returns ${probabilities.length} scores ` +
          `but its metadata names ${this.labelCount} labels`,
      );
    }
  }

  private disposeIfUnused(): void {
    if (!this.retired || this.references > 0 || this.disposed) return;
    this.disposed = true;
    this.model.dispose();
    log.info('model version disposed', { modelVersion: this.version });
  }
}
