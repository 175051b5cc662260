/**
 * The body of an evaluation job, run in a worker thread: score one split of a manifest with a
 * stored model version and report F1, precision, recall, mean average precision and BCE per label
 * and overall.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend/select-backend.js';
import { checkSkipped, describeSkipped, loadImageSet } from '../data/image-set-loader.js';
import { readManifest } from '../data/manifest-reader.js';
import type { Split } from '../data/manifest-row.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import { serveWorkerJob, type WorkerJobContext } from '../jobs/worker-entry.js';
import { ModelStore } from '../store/model-store.js';
import { predictProbabilities } from '../training/image-batch.js';
import { labelMatrix } from '../training/label-matrix.js';
import { classificationReport } from './classification-report.js';
import { toEvaluateResult, type EvaluateResultValue } from './evaluate-result.js';
import { thresholdCurve } from './threshold-curve.js';

/** What the main thread sends the evaluation worker. */
export interface EvaluateWorkerInput {
  manifestPath: string;
  manifestName: string;
  imageDir: string;
  split: Split;
  modelVersion: string;
  /** Overrides every label's threshold when set. */
  threshold?: number;
  homeDir: string;
  backend: string;
}

/** The evaluation's result and a note on skipped images. */
export interface EvaluateWorkerOutput {
  result: EvaluateResultValue;
  note: string;
}

const PREDICT_BATCH_SIZE = 64;
const LOADING_SHARE = 0.7;

async function evaluate(
  input: EvaluateWorkerInput,
  context: WorkerJobContext,
): Promise<EvaluateWorkerOutput> {
  await selectBackend(input.backend);
  const store = new ModelStore(input.homeDir);
  const { model, metadata } = await store.loadModel(input.modelVersion);
  try {
    context.report({ progress: 0, message: 'reading the manifest' });
    const manifest = await readManifest(input.manifestPath, input.manifestName);
    const rows = manifest.rows.filter((row) => row.split === input.split);
    if (rows.length === 0) {
      throw new InvalidInputError(`${input.manifestName} has no rows in the ${input.split} split`);
    }
    const known = new Set(metadata.labels);
    const unknown = manifest.labelNames.filter(
      (label) => !known.has(label) && rows.some((row) => row.labels.includes(label)),
    );
    if (unknown.length > 0) {
      throw new InvalidInputError(
        `${input.manifestName} uses labels model version ${input.modelVersion} does not know: ` +
          unknown.slice(0, 5).join(', '),
      );
    }

    context.report({ message: `decoding ${rows.length} images` });
    const loaded = await loadImageSet({
      rows,
      imageDir: input.imageDir,
      sizePx: metadata.inputSize,
      signal: context.signal,
      onProgress: (fraction) => context.report({ progress: fraction * LOADING_SHARE }),
    });
    checkSkipped(loaded, rows.length, `the ${input.split} split`);
    context.report({ message: `scoring ${loaded.rows.length} images` });
    const indices = loaded.rows.map((_, i) => i);
    const probabilities = await predictProbabilities(
      (images) => model.predict(images) as tf.Tensor,
      loaded.pixels,
      metadata.inputSize,
      indices,
      PREDICT_BATCH_SIZE,
      metadata.labels.length,
    );
    const thresholds = Float32Array.from(
      metadata.labels,
      (label) => input.threshold ?? metadata.labelThresholds[label] ?? metadata.threshold,
    );
    const targets = labelMatrix(loaded.rows, metadata.labels);
    const report = classificationReport(probabilities, targets, metadata.labels, thresholds);
    context.report({ progress: 1 });
    return {
      result: toEvaluateResult(
        report,
        input.modelVersion,
        thresholdCurve(probabilities, targets, metadata.labels),
      ),
      note: describeSkipped(loaded.skipped),
    };
  } finally {
    model.dispose();
  }
}

serveWorkerJob((input, context) => evaluate(input as EvaluateWorkerInput, context));
