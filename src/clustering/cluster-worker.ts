/**
 * The body of a clustering job, run in a worker thread: features of one split's images (from a
 * stored model, or a fixed pixel descriptor when there is none), PCA and k-means, and the
 * assignment file.
 */
import { selectBackend } from '../backend/select-backend.js';
import { describeSkipped } from '../data/image-set-loader.js';
import { readManifest } from '../data/manifest-reader.js';
import type { Split } from '../data/manifest-row.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import { serveWorkerJob, type WorkerJobContext } from '../jobs/worker-entry.js';
import { ModelStore } from '../store/model-store.js';
import { clusterDataSet } from './cluster-data-set.js';
import { loadModelFeatureExtractor } from './model-features.js';
import { describeImages } from './pixel-descriptor.js';

/** What the main thread sends the clustering worker. */
export interface ClusterWorkerInput {
  manifestPath: string;
  manifestName: string;
  imageDir: string;
  split: Split;
  clusters: number;
  pcaComponents: number;
  seed: number;
  outputPath: string;
  /** The caller's name for the output, echoed in the result. */
  outputName: string;
  /** Features from this model version; empty for the pixel descriptor. */
  modelVersion: string;
  homeDir: string;
  backend: string;
}

/** The `ClusterResult` message in camelCase, and a note on skipped images. */
export interface ClusterWorkerOutput {
  result: { sizes: number[]; output: string; features: string; inertia: number };
  note: string;
}

async function cluster(
  input: ClusterWorkerInput,
  context: WorkerJobContext,
): Promise<ClusterWorkerOutput> {
  await selectBackend(input.backend);
  const manifest = await readManifest(input.manifestPath, input.manifestName);
  const rows = manifest.rows.filter((row) => row.split === input.split);
  if (rows.length < input.clusters) {
    throw new InvalidInputError(
      `${input.manifestName} has ${rows.length} ${input.split} rows, ` +
        `fewer than ${input.clusters} clusters`,
    );
  }
  const extractor =
    input.modelVersion === ''
      ? undefined
      : await loadModelFeatureExtractor(new ModelStore(input.homeDir), input.modelVersion);
  const features = extractor === undefined ? 'pixels' : `model:${input.modelVersion}`;
  context.report({
    progress: 0,
    message: `extracting ${features} features of ${rows.length} images`,
  });
  try {
    const result = await clusterDataSet({
      rows,
      imageDir: input.imageDir,
      extractFeatures: extractor?.extract ?? describeImages,
      clusters: input.clusters,
      pcaComponents: input.pcaComponents,
      seed: input.seed,
      outputPath: input.outputPath,
      signal: context.signal,
      onProgress: (fraction) => context.report({ progress: fraction }),
    });
    return {
      result: { sizes: result.sizes, output: input.outputName, features, inertia: result.inertia },
      note: describeSkipped(result.skipped),
    };
  } finally {
    extractor?.dispose();
  }
}

serveWorkerJob((input, context) => cluster(input as ClusterWorkerInput, context));
