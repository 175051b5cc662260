/**
 * What the model store keeps beside each version's weights, in `metadata.json`.
 */
import { InvalidInputError } from '../errors/domain-errors.js';

/** The threshold used for labels without a tuned one; the reference experiments found it best. */
export const DEFAULT_THRESHOLD = 0.2;

/** How pixels are turned into model inputs. */
export type Normalization = 'scale-0-1';

/** Metadata of one stored model version. */
export interface ModelMetadata {
  /** Label names in the model's output order. */
  labels: string[];
  /** Images are stretched to this many pixels square. */
  inputSize: number;
  /** `scale-0-1`: RGB values divided by 255. */
  normalization: Normalization;
  /** Default threshold for labels without a tuned one. */
  threshold: number;
  /** Per-label thresholds tuned on validation data. */
  labelThresholds: Record<string, number>;
  /** Validation or evaluation figures, e.g. `f1_micro`. */
  metrics: Record<string, number>;
  architecture: string;
  /** ISO-8601 creation time. */
  createdAt: string;
  /** The job that trained it, empty if imported. */
  jobId: string;
  /** The version training started from, empty if none. */
  parentVersion: string;
  /** `layers` for a tfjs layers model, `graph` for a converted graph model. */
  format: 'layers' | 'graph';
}

function isFiniteInRange(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
}

/**
 * Checks metadata read from disk or supplied by a caller and fills defaults for optional fields.
 * `source` names the file or version in error messages.
 */
export function parseModelMetadata(raw: unknown, source: string): ModelMetadata {
  if (typeof raw !== 'object' || raw === null) {
    throw new InvalidInputError(`${source}: metadata is not an object`);
  }
  const value = raw as Record<string, unknown>;
  const labels = value.labels;
  if (
    !Array.isArray(labels) ||
    labels.length === 0 ||
    !labels.every((l) => typeof l === 'string')
  ) {
    throw new InvalidInputError(`${source}: "labels" must be a non-empty list of names`);
  }
  if (new Set(labels).size !== labels.length) {
    throw new InvalidInputError(`${source}: "labels" has duplicate names`);
  }
  if (!Number.isInteger(value.inputSize) || !isFiniteInRange(value.inputSize, 8, 4096)) {
    throw new InvalidInputError(`${source}: "inputSize" must be an integer from 8 to 4096`);
  }
  const threshold = value.threshold ?? DEFAULT_THRESHOLD;
  if (!isFiniteInRange(threshold, 0, 1)) {
    throw new InvalidInputError(`${source}: "threshold" must be from 0 to 1`);
  }
  const labelThresholds = (value.labelThresholds ?? {}) as Record<string, unknown>;
  for (const [label, t] of Object.entries(labelThresholds)) {
    if (!labels.includes(label) || !isFiniteInRange(t, 0, 1)) {
      throw new InvalidInputError(`${source}: threshold of label "${label}" is invalid`);
    }
  }
  return {
    labels: labels as string[],
    inputSize: value.inputSize as number,
    normalization: 'scale-0-1',
    threshold,
    labelThresholds: labelThresholds as Record<string, number>,
    metrics: (value.metrics ?? {}) as Record<string, number>,
    architecture: typeof value.architecture === 'string' ? value.architecture : '',
    createdAt: typeof value.createdAt === 'string' ? value.createdAt : new Date(0).toISOString(),
    jobId: typeof value.jobId === 'string' ? value.jobId : '',
    parentVersion: typeof value.parentVersion === 'string' ? value.parentVersion : '',
    format: value.format === 'graph' ? 'graph' : 'layers',
  };
}
