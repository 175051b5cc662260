/**
 * The training loop: Adam whose learning rate halves when validation stalls, random flips,
 * validation every epoch, early stopping on validation macro F1, and the best epoch's weights
 * restored at the end with per-label thresholds tuned on the validation part.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { CancelledError } from '../errors/domain-errors.js';
import { classificationReport } from '../evaluation/classification-report.js';
import type { EvaluationReport } from '../evaluation/evaluation-report.js';
import { tuneThresholds } from '../evaluation/threshold-tuning.js';
import type { JobProgressUpdate } from '../jobs/job.js';
import { DEFAULT_THRESHOLD } from '../store/model-metadata.js';
import { SeededRandom } from '../util/seeded-random.js';
import { classWeights } from './class-weights.js';
import { GradientHelper } from './gradient-helper.js';
import { imageBatch, imageBatchValues, predictProbabilities } from './image-batch.js';
import { selectRows } from './label-matrix.js';
import { createLoss, type LossFunction } from './losses.js';
import type { TrainOptions } from './train-options.js';

/** The learning rate is multiplied by this after a plateau of validation macro F1. */
const PLATEAU_FACTOR = 0.5;
/** The learning rate never falls below this fraction of its start. */
const MIN_LEARNING_RATE_FRACTION = 0.01;
/** Images per call when scoring the validation part. */
const VALIDATION_BATCH_SIZE = 128;

/** What the loop trains on: cached pixels and targets, and which rows go where. */
export interface TrainLoopInput {
  model: LayersModel;
  /** RGB pixels of every loaded row, `sizePx * sizePx * 3` bytes each. */
  pixels: Uint8Array;
  sizePx: number;
  /** Targets of every loaded row, row-major over `labelNames`. */
  targets: Uint8Array;
  labelNames: readonly string[];
  trainIndices: readonly number[];
  validationIndices: readonly number[];
  options: TrainOptions;
  signal: AbortSignal;
  report(update: JobProgressUpdate): void;
  /**
   * Set to compute half of every batch on a second thread (a gradient helper) with this
   * TensorFlow.js backend; unset to train on this thread only.
   */
  helperBackend?: string;
}

/** The loop's outcome; the model holds the best epoch's weights. */
export interface TrainLoopResult {
  bestEpoch: number;
  epochsRun: number;
  /** Validation report of the best epoch at the tuned thresholds. */
  validation: EvaluationReport;
  /** Validation report of the best epoch at the default threshold of 0.2. */
  validationAtDefault: EvaluationReport;
  thresholds: Float32Array;
  trainSeconds: number;
  imagesPerSecond: number;
}

/**
 * Epochs without a better validation macro F1 before the learning rate drops: half the early
 * stopping patience, so the lower rate gets a chance before training stops. A schedule fixed in
 * advance (a cosine over all epochs) measured worse: at six epochs it left the models less trained
 * (test F1 micro 0.366 against 0.425 at a constant rate, reference-cnn, the benchmark set).
 */
function plateauEpochs(options: TrainOptions): number {
  return Math.max(1, Math.floor(options.patience / 2));
}

/** What one optimisation step works on. */
interface StepInput {
  model: LayersModel;
  optimizer: tf.Optimizer;
  loss: LossFunction;
  pixels: Uint8Array;
  sizePx: number;
  targets: Uint8Array;
  labelCount: number;
  batch: number[];
  random: SeededRandom;
}

function labelBatch(step: StepInput, rows: readonly number[]): tf.Tensor2D {
  const values = selectRows(step.targets, step.labelCount, rows);
  return tf.tensor2d(values, [rows.length, step.labelCount], 'float32');
}

/** One step on this thread; returns the batch loss. */
async function singleStep(step: StepInput): Promise<number> {
  const cost = tf.tidy(() => {
    const images = imageBatch(step.pixels, step.sizePx, step.batch, step.random);
    const labels = labelBatch(step, step.batch);
    const logits = (): tf.Tensor2D => step.model.apply(images, { training: true }) as tf.Tensor2D;
    return step.optimizer.minimize(() => step.loss(labels, logits()), true) as tf.Scalar;
  });
  const value = (await cost.data())[0] as number;
  cost.dispose();
  return value;
}

/**
 * One step split over two threads: the helper computes the second half's gradients at the same
 * weights while this thread computes the first half's; the update uses their weighted mean, which
 * equals the gradient of the whole batch's mean loss. Batch-norm statistics are per half, as in
 * PyTorch's DataParallel without synchronised batch norm.
 */
async function dataParallelStep(step: StepInput, helper: GradientHelper): Promise<number> {
  const half = Math.ceil(step.batch.length / 2);
  const local = step.batch.slice(0, half);
  const remote = step.batch.slice(half);
  const localShare = local.length / step.batch.length;
  const trainable = step.model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const remoteGradients = helper.gradients({
    weights: step.model.getWeights().map((weight) => weight.dataSync().slice() as Float32Array),
    images: imageBatchValues(step.pixels, step.sizePx, remote, step.random),
    labels: Float32Array.from(selectRows(step.targets, step.labelCount, remote)),
    count: remote.length,
  });
  const { value, grads } = tf.tidy(() => {
    const images = imageBatch(step.pixels, step.sizePx, local, step.random);
    const labels = labelBatch(step, local);
    const logits = (): tf.Tensor2D => step.model.apply(images, { training: true }) as tf.Tensor2D;
    return tf.variableGrads(() => step.loss(labels, logits()), trainable);
  });
  try {
    const other = await remoteGradients;
    tf.tidy(() => {
      const mean: tf.NamedTensorMap = {};
      trainable.forEach((variable, i) => {
        const theirs = tf.tensor(other.gradients[i] as Float32Array, variable.shape);
        const ours = grads[variable.name] as tf.Tensor;
        mean[variable.name] = tf.add(tf.mul(ours, localShare), tf.mul(theirs, 1 - localShare));
      });
      step.optimizer.applyGradients(mean);
    });
    const localLoss = (await value.data())[0] as number;
    return localShare * localLoss + (1 - localShare) * other.loss;
  } finally {
    tf.dispose([value, grads]);
  }
}

/** Trains `input.model` in place and returns the best epoch's validation figures. */
export async function trainLoop(input: TrainLoopInput): Promise<TrainLoopResult> {
  const { model, pixels, sizePx, targets, labelNames, options, signal } = input;
  const labelCount = labelNames.length;
  const trainTargets = selectRows(targets, labelCount, input.trainIndices);
  const validationTargets = selectRows(targets, labelCount, input.validationIndices);
  const weights = classWeights(trainTargets, input.trainIndices.length, labelCount);
  const loss = createLoss(options.loss, weights);
  const helper =
    input.helperBackend === undefined
      ? undefined
      : GradientHelper.start({
          backend: input.helperBackend,
          architecture: options.architecture,
          inputSize: sizePx,
          labelCount,
          loss: options.loss,
          positiveWeights: weights.positive,
          negativeWeights: weights.negative,
        });
  const optimizer = tf.train.adam(options.learningRate);
  const random = new SeededRandom(options.seed);
  const order = [...input.trainIndices];
  const stepsPerEpoch = Math.ceil(order.length / options.batchSize);
  const defaultThresholds = new Float32Array(labelCount).fill(DEFAULT_THRESHOLD);

  let best:
    | { epoch: number; f1Macro: number; weights: tf.Tensor[]; probabilities: Float32Array }
    | undefined;
  let epochsRun = 0;
  let imagesSeen = 0;
  let trainingMs = 0;
  const startedAtMs = Date.now();
  let lastValidation = { loss: 0, f1Micro: 0, f1Macro: 0 };
  let learningRate = options.learningRate;
  let lastDropEpoch = 0;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      random.shuffle(order);
      for (let step = 1; step <= stepsPerEpoch; step++) {
        if (signal.aborted) throw new CancelledError('the training job was cancelled');
        const stepStartMs = Date.now();
        const batch = order.slice((step - 1) * options.batchSize, step * options.batchSize);
        const stepInput = {
          model,
          optimizer,
          loss,
          pixels,
          sizePx,
          targets,
          labelCount,
          batch,
          random,
        };
        const lossValue =
          helper !== undefined && batch.length >= 2
            ? await dataParallelStep(stepInput, helper)
            : await singleStep(stepInput);
        trainingMs += Date.now() - stepStartMs;
        imagesSeen += batch.length;
        const imagesPerSecond = imagesSeen / Math.max(trainingMs / 1000, 1e-3);
        const stepsDone = (epoch - 1) * stepsPerEpoch + step;
        const stepsLeft = options.epochs * stepsPerEpoch - stepsDone;
        input.report({
          progress: stepsDone / (options.epochs * stepsPerEpoch),
          message: `epoch ${epoch}/${options.epochs}, step ${step}/${stepsPerEpoch}`,
          trainProgress: {
            epoch,
            epochs: options.epochs,
            step,
            stepsPerEpoch,
            loss: lossValue,
            validationLoss: lastValidation.loss,
            validationF1Micro: lastValidation.f1Micro,
            validationF1Macro: lastValidation.f1Macro,
            imagesPerSecond,
            etaSeconds: (stepsLeft * options.batchSize) / imagesPerSecond,
          },
        });
      }
      epochsRun = epoch;

      const probabilities = await predictProbabilities(
        (images) => model.predict(images) as tf.Tensor,
        pixels,
        sizePx,
        input.validationIndices,
        VALIDATION_BATCH_SIZE,
        labelCount,
      );
      const report = classificationReport(
        probabilities,
        validationTargets,
        labelNames,
        defaultThresholds,
      );
      lastValidation = { loss: report.bceLoss, f1Micro: report.f1Micro, f1Macro: report.f1Macro };
      if (best === undefined || report.f1Macro > best.f1Macro) {
        for (const tensor of best?.weights ?? []) tensor.dispose();
        best = {
          epoch,
          f1Macro: report.f1Macro,
          weights: model.getWeights().map((w) => w.clone()),
          probabilities,
        };
      } else if (epoch - best.epoch >= options.patience) {
        const reason = `no better macro F1 since epoch ${best.epoch}`;
        input.report({ message: `stopped early after epoch ${epoch}: ${reason}` });
        break;
      } else if (epoch - Math.max(best.epoch, lastDropEpoch) >= plateauEpochs(options)) {
        const floor = options.learningRate * MIN_LEARNING_RATE_FRACTION;
        learningRate = Math.max(floor, learningRate * PLATEAU_FACTOR);
        lastDropEpoch = epoch;
        // Adam reads its learning rate on every step; tfjs offers no public setter for it.
        (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
      }
    }
    if (best === undefined) throw new Error('training ran no epoch');
    model.setWeights(best.weights);
    const thresholds = tuneThresholds(
      best.probabilities,
      validationTargets,
      labelCount,
      DEFAULT_THRESHOLD,
    );
    const trainSeconds = (Date.now() - startedAtMs) / 1000;
    return {
      bestEpoch: best.epoch,
      epochsRun,
      validation: classificationReport(
        best.probabilities,
        validationTargets,
        labelNames,
        thresholds,
      ),
      validationAtDefault: classificationReport(
        best.probabilities,
        validationTargets,
        labelNames,
        defaultThresholds,
      ),
      thresholds,
      trainSeconds,
      imagesPerSecond: imagesSeen / Math.max(trainingMs / 1000, 1e-3),
    };
  } finally {
    for (const tensor of best?.weights ?? []) tensor.dispose();
    optimizer.dispose();
    await helper?.close();
  }
}
