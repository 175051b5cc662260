/**
 * The settings of a training job: the Train request with its defaults filled in and every field
 * checked, so a bad request fails before a job is queued.
 */
import { InvalidInputError } from '../errors/domain-errors.js';
import { architectureNames } from '../models/architectures.js';
import { LOSS_NAMES, DEFAULT_LOSS_NAME } from './losses.js';

/** The Train request's settings as proto-loader delivers them (zero values mean "default"). */
export interface TrainRequestFields {
  epochs: number;
  batchSize: number;
  learningRate: number;
  inputSize: number;
  architecture: string;
  loss: string;
  activate: boolean;
  validationFraction: number;
  seed: number;
  /** Epochs without a better validation macro F1 before training stops. */
  patience: number;
}

/** A training job's settings with defaults filled in; paths are absolute and confined. */
export interface TrainOptions extends TrainRequestFields {
  manifestPath: string;
  imageDir: string;
}

/** Defaults for fields left at zero or empty; the README documents them. */
export const TRAIN_DEFAULTS = {
  epochs: 20,
  batchSize: 32,
  learningRate: 0.001,
  inputSize: 64,
  architecture: 'small-cnn',
  loss: DEFAULT_LOSS_NAME,
  validationFraction: 0.1,
  seed: 1,
  patience: 5,
} as const;

/** `value`, or `fallback` for the proto default 0; NaN is kept so the range check refuses it. */
function orDefault(value: number, fallback: number): number {
  return value === 0 ? fallback : value;
}

function checkRange(
  field: string,
  value: number,
  min: number,
  max: number,
  integer: boolean,
): number {
  if (
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    const kind = integer ? 'an integer' : 'a number';
    throw new InvalidInputError(`${field} must be ${kind} from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Fills defaults into `request` and checks every field; paths are resolved by the caller. */
export function parseTrainOptions(
  request: TrainRequestFields,
  paths: { manifestPath: string; imageDir: string },
): TrainOptions {
  const architecture = request.architecture || TRAIN_DEFAULTS.architecture;
  if (!architectureNames().includes(architecture)) {
    throw new InvalidInputError(
      `unknown architecture "${architecture}"; expected one of ${architectureNames().join(', ')}`,
    );
  }
  const loss = request.loss || TRAIN_DEFAULTS.loss;
  if (!(LOSS_NAMES as readonly string[]).includes(loss)) {
    throw new InvalidInputError(`unknown loss "${loss}"; expected one of ${LOSS_NAMES.join(', ')}`);
  }
  return {
    ...paths,
    epochs: checkRange('epochs', orDefault(request.epochs, TRAIN_DEFAULTS.epochs), 1, 1000, true),
    batchSize: checkRange(
      'batch_size',
      orDefault(request.batchSize, TRAIN_DEFAULTS.batchSize),
      1,
      1024,
      true,
    ),
    learningRate: checkRange(
      'learning_rate',
      orDefault(request.learningRate, TRAIN_DEFAULTS.learningRate),
      1e-7,
      1,
      false,
    ),
    inputSize: checkRange(
      'input_size',
      orDefault(request.inputSize, TRAIN_DEFAULTS.inputSize),
      16,
      1024,
      true,
    ),
    architecture,
    loss,
    activate: request.activate,
    validationFraction: checkRange(
      'validation_fraction',
      orDefault(request.validationFraction, TRAIN_DEFAULTS.validationFraction),
      0.01,
      0.5,
      false,
    ),
    seed: request.seed || TRAIN_DEFAULTS.seed,
    patience: checkRange(
      'patience',
      orDefault(request.patience, TRAIN_DEFAULTS.patience),
      1,
      1000,
      true,
    ),
  };
}
