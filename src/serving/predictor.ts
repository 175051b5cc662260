/**
 * The Predict use case: checks a request, decodes its images in parallel, scores them through the
 * batcher on one model version, and applies thresholds.
 */
import { InvalidInputError } from '../errors/domain-errors.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import { decodeImage } from './image-decoder.js';
import type { ModelRegistry } from './model-registry.js';
import type { PredictBatcher } from './predict-batcher.js';
import type { ServedModel } from './served-model.js';

/** One image to classify. */
export interface ImageInput {
  id: string;
  data: Uint8Array;
}

/** A label's probability. */
export interface LabelScore {
  label: string;
  score: number;
}

/** The result for one image. */
export interface ImagePrediction {
  id: string;
  /** Labels at or above their threshold, highest score first. */
  labels: string[];
  /** Every label's probability, highest first. */
  scores: LabelScore[];
}

/** What a caller asks for. */
export interface PredictQuery {
  images: ImageInput[];
  /** Overrides every label's threshold when set. */
  threshold?: number;
  /** Empty for the active version. */
  modelVersion: string;
  /** Epoch milliseconds after which the answer is no longer wanted. */
  deadlineMs?: number;
}

/** Limits on one request. */
export interface PredictLimits {
  maxImagesPerRequest: number;
  maxImagePixels: number;
}

/** Classifies images with the active (or a named) model version. */
export class Predictor {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly batcher: PredictBatcher,
    private readonly limits: PredictLimits,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** Scores every image of `query`; the answer names the version that scored them. */
  async predict(
    query: PredictQuery,
  ): Promise<{ modelVersion: string; predictions: ImagePrediction[] }> {
    this.validate(query);
    const model = await this.registry.acquire(query.modelVersion);
    try {
      this.batcher.reserve(query.images.length);
      const size = model.metadata.inputSize;
      const pixels = await Promise.all(
        query.images.map((image, index) => this.decode(image, index, size)),
      );
      const probabilities = await Promise.all(
        pixels.map((p) => this.batcher.submit(model, p, query.deadlineMs)),
      );
      const predictions = query.images.map((image, index) =>
        toPrediction(image.id, probabilities[index] as Float32Array, model, query.threshold),
      );
      return { modelVersion: model.version, predictions };
    } finally {
      model.release();
    }
  }

  private validate(query: PredictQuery): void {
    if (query.images.length === 0) {
      throw new InvalidInputError('the request has no images');
    }
    if (query.images.length > this.limits.maxImagesPerRequest) {
      throw new InvalidInputError(
        `the request has ${query.images.length} images; the limit is ` +
          `${this.limits.maxImagesPerRequest} per request`,
      );
    }
    const threshold = query.threshold;
    if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) {
      throw new InvalidInputError(`threshold must be from 0 to 1, got ${threshold}`);
    }
  }

  private async decode(image: ImageInput, index: number, sizePx: number): Promise<Uint8Array> {
    const name = image.id === '' ? `image ${index}` : `image ${index} (id "${image.id}")`;
    const startedAtMs = Date.now();
    const pixels = await decodeImage(image.data, sizePx, name, {
      maxImagePixels: this.limits.maxImagePixels,
    });
    this.metrics.decodeDuration.observe((Date.now() - startedAtMs) / 1000);
    return pixels;
  }
}

function toPrediction(
  id: string,
  probabilities: Float32Array,
  model: ServedModel,
  threshold: number | undefined,
): ImagePrediction {
  const labelNames = model.metadata.labels;
  const order = Array.from(probabilities.keys()).sort(
    (a, b) => (probabilities[b] as number) - (probabilities[a] as number),
  );
  const scores = order.map((i) => ({
    label: labelNames[i] as string,
    score: probabilities[i] as number,
  }));
  const labels = order
    .filter((i) => (probabilities[i] as number) >= (threshold ?? (model.thresholds[i] as number)))
    .map((i) => labelNames[i] as string);
  return { id, labels, scores };
}
