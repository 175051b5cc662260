/**
 * The body of a training job, run in a worker thread with its own TensorFlow.js backend so the
 * serving thread stays responsive: read the manifest, decode the train split once, split off a
 * stratified validation part, train, tune thresholds and save a new model version.
 */
import { selectBackend } from '../backend/select-backend.js';
import { readManifest } from '../data/manifest-reader.js';
import { checkSkipped, describeSkipped, loadImageSet } from '../data/image-set-loader.js';
import { stratifiedSplit } from '../data/stratified-split.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import { serveWorkerJob, type WorkerJobContext } from '../jobs/worker-entry.js';
import { buildModel } from '../models/architectures.js';
import { DEFAULT_THRESHOLD } from '../store/model-metadata.js';
import { ModelStore } from '../store/model-store.js';
import type { TrainResultValue } from './train-result.js';
import { labelIndexSets, labelMatrix } from './label-matrix.js';
import { trainLoop } from './train-loop.js';
import type { TrainOptions } from './train-options.js';
import { toEvaluateResult } from '../evaluation/evaluate-result.js';

/** What the main thread sends the training worker. */
export interface TrainWorkerInput {
  options: TrainOptions;
  /** The manifest as the caller named it, for messages. */
  manifestName: string;
  homeDir: string;
  backend: string;
  jobId: string;
  /** 2 to compute half of every batch on a second thread. */
  trainingThreads: number;
}

/** Part of the job's progress spent decoding images; training takes the rest. */
const LOADING_SHARE = 0.1;

async function train(
  input: TrainWorkerInput,
  context: WorkerJobContext,
): Promise<TrainResultValue> {
  const { options } = input;
  await selectBackend(input.backend);
  context.report({ progress: 0, message: 'reading the manifest' });
  const manifest = await readManifest(options.manifestPath, input.manifestName);
  const trainRows = manifest.rows.filter((row) => row.split === 'train');
  if (trainRows.length === 0) {
    throw new InvalidInputError(`${input.manifestName} has no rows in the train split`);
  }

  context.report({ message: `decoding ${trainRows.length} training images` });
  const loaded = await loadImageSet({
    rows: trainRows,
    imageDir: options.imageDir,
    sizePx: options.inputSize,
    signal: context.signal,
    onProgress: (fraction) => context.report({ progress: fraction * LOADING_SHARE }),
  });
  checkSkipped(loaded, trainRows.length, 'the train split');
  const labelNames = manifest.labelNames;
  const targets = labelMatrix(loaded.rows, labelNames);
  const split = stratifiedSplit(
    labelIndexSets(loaded.rows, labelNames),
    labelNames.length,
    options.validationFraction,
    options.seed,
  );
  if (split.validation.length === 0 || split.train.length === 0) {
    throw new InvalidInputError(
      `the train split of ${input.manifestName} has ${loaded.rows.length} readable images, ` +
        'too few to hold out a validation part',
    );
  }

  const model = buildModel(
    options.architecture,
    options.inputSize,
    labelNames.length,
    options.seed,
  );
  try {
    const result = await trainLoop({
      model,
      pixels: loaded.pixels,
      sizePx: options.inputSize,
      targets,
      labelNames,
      trainIndices: split.train,
      validationIndices: split.validation,
      options,
      signal: context.signal,
      helperBackend: input.trainingThreads >= 2 ? input.backend : undefined,
      report: (update) =>
        context.report({
          ...update,
          progress:
            update.progress === undefined
              ? undefined
              : LOADING_SHARE + (1 - LOADING_SHARE) * update.progress,
        }),
    });
    context.report({ progress: 1, message: 'saving the model' });
    const labelThresholds = Object.fromEntries(
      labelNames.map((label, i) => [label, result.thresholds[i] as number]),
    );
    const store = new ModelStore(input.homeDir);
    const version = await store.saveModel(model, {
      labels: [...labelNames],
      inputSize: options.inputSize,
      normalization: 'scale-0-1',
      threshold: DEFAULT_THRESHOLD,
      labelThresholds,
      metrics: {
        validation_f1_micro: result.validationAtDefault.f1Micro,
        validation_f1_macro: result.validationAtDefault.f1Macro,
        validation_f1_micro_tuned: result.validation.f1Micro,
        validation_f1_macro_tuned: result.validation.f1Macro,
        validation_mean_average_precision: result.validation.meanAveragePrecision,
        validation_bce_loss: result.validation.bceLoss,
        best_epoch: result.bestEpoch,
      },
      architecture: options.architecture,
      createdAt: new Date().toISOString(),
      jobId: input.jobId,
      parentVersion: '',
      format: 'layers',
    });
    const skippedNote = describeSkipped(loaded.skipped);
    return {
      modelVersion: version,
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
      validation: toEvaluateResult(result.validation, version),
      imagesUsed: loaded.rows.length,
      imagesSkipped: loaded.skipped.length,
      trainSeconds: result.trainSeconds,
      imagesPerSecond: result.imagesPerSecond,
      note: skippedNote,
    };
  } finally {
    model.dispose();
  }
}

serveWorkerJob((input, context) => train(input as TrainWorkerInput, context));
