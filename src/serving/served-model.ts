/**
 * A model version loaded in the inference worker and ready to score images. It counts the callers
 * using it, so that a version swapped out keeps serving its in-flight batches and is unloaded only
 * after the last one finishes.
 */
import { DomainError, PreconditionError } from '../errors/domain-errors.js';
import { createLogger } from '../logging/logger.js';
import type { ModelMetadata } from '../store/model-metadata.js';
import type { InferenceWorker } from './inference-worker.js';

const log = createLogger('served-model');

let handleCount = 0;

/** A loaded, reference-counted model version. */
export class ServedModel {
  /** Per-label thresholds in output order: tuned ones, else the model's default. */
  readonly thresholds: Float32Array;
  /** Values in one image's model input (size x size x 3). */
  readonly inputLength: number;
  /** The worker's name for this copy; two copies of one version never share it. */
  private readonly handle: string;
  private loadedGeneration = -1;
  private references = 0;
  private retired = false;
  private disposed = false;

  private constructor(
    readonly version: string,
    readonly metadata: ModelMetadata,
    private readonly worker: InferenceWorker,
  ) {
    this.handle = `${version}#${++handleCount}`;
    this.thresholds = Float32Array.from(
      metadata.labels,
      (label) => metadata.labelThresholds[label] ?? metadata.threshold,
    );
    this.inputLength = metadata.inputSize * metadata.inputSize * 3;
  }

  /** Loads `version` into `worker` and warms it up with one prediction. */
  static async load(
    version: string,
    metadata: ModelMetadata,
    worker: InferenceWorker,
  ): Promise<ServedModel> {
    const model = new ServedModel(version, metadata, worker);
    try {
      await model.ensureLoaded();
    } catch (caught) {
      model.retire();
      if (caught instanceof DomainError) throw caught;
      throw new PreconditionError(`model version ${version} could not be loaded`);
    }
    try {
      await model.warmUp();
    } catch (caught) {
      model.retire();
      const reason = caught instanceof Error ? caught.message : String(caught);
      throw new PreconditionError(
        `model version ${version} failed its warm-up prediction: ${reason}`,
      );
    }
    return model;
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

  /** Drops a reference; a retired model is unloaded when the last one goes. */
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
   * `inputs` (which is handed to the worker and unusable afterwards), and returns the sigmoid
   * probabilities, `count` x labels, row-major.
   */
  async score(inputs: Float32Array, count: number): Promise<Float32Array> {
    await this.ensureLoaded();
    return this.worker.score(this.handle, inputs, count);
  }

  private async ensureLoaded(): Promise<void> {
    // A restarted worker has lost its models: load this one again before using it.
    if (this.loadedGeneration === this.worker.generation) return;
    const generation = this.worker.generation;
    await this.worker.load(this.handle, this.version);
    this.loadedGeneration = generation;
  }

  /** Runs one prediction on a blank image so that the first caller does not pay for set-up. */
  private async warmUp(): Promise<void> {
    const probabilities = await this.score(new Float32Array(this.inputLength), 1);
    if (probabilities.length !== this.labelCount) {
      throw new Error(
        `it returns ${probabilities.length} scores ` +
          `but its metadata names ${this.labelCount} labels`,
      );
    }
  }

  private disposeIfUnused(): void {
    if (!this.retired || this.references > 0 || this.disposed) return;
    this.disposed = true;
    this.worker.unload(this.handle).then(
      () => log.info('model version unloaded', { modelVersion: this.version }),
      (caught: unknown) =>
        log.warn('unloading a model failed', { modelVersion: this.version, error: caught }),
    );
  }
}
