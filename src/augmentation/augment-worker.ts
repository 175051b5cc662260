/**
 * The body of an augmentation job, run in a worker thread: plan the copies that balance the
 * training rows (by clusters or by labels) and write the augmented images and the new manifest.
 */
import { readClusterAssignments } from '../clustering/cluster-assignment-file.js';
import { describeSkipped } from '../data/image-set-loader.js';
import { readManifest } from '../data/manifest-reader.js';
import { serveWorkerJob, type WorkerJobContext } from '../jobs/worker-entry.js';
import { augmentDataSet } from './augment-data-set.js';

/** What the main thread sends the augmentation worker. */
export interface AugmentWorkerInput {
  manifestPath: string;
  manifestName: string;
  imageDir: string;
  /** The cluster assignment file, for the `clusters` policy. */
  clustersPath: string;
  outputManifestPath: string;
  outputManifestName: string;
  outputDir: string;
  seed: number;
  policy: 'clusters' | 'labels';
  targetRatio: number;
}

/** The `AugmentResult` message in camelCase, and a note on skipped images. */
export interface AugmentWorkerOutput {
  result: {
    added: Record<string, number>;
    outputManifest: string;
    imagesAdded: number;
    redraws: number;
  };
  note: string;
}

async function augment(
  input: AugmentWorkerInput,
  context: WorkerJobContext,
): Promise<AugmentWorkerOutput> {
  const manifest = await readManifest(input.manifestPath, input.manifestName);
  const clusterAssignments =
    input.policy === 'clusters' ? await readClusterAssignments(input.clustersPath) : undefined;
  context.report({ progress: 0, message: `augmenting by ${input.policy}` });
  const result = await augmentDataSet({
    manifest,
    imageDir: input.imageDir,
    outputDir: input.outputDir,
    outputManifestPath: input.outputManifestPath,
    policy: input.policy,
    clusterAssignments,
    targetRatio: input.targetRatio,
    seed: input.seed,
    signal: context.signal,
    onProgress: (fraction) => context.report({ progress: fraction }),
  });
  return {
    result: {
      added: result.added,
      outputManifest: input.outputManifestName,
      imagesAdded: result.imagesAdded,
      redraws: result.redraws,
    },
    note: describeSkipped(result.skipped),
  };
}

serveWorkerJob((input, context) => augment(input as AugmentWorkerInput, context));
