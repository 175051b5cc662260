/**
 * The clustering job: describes every image of a data set, clusters the descriptions and writes
 * the assignment file the augmentation job balances on.
 */
import type { ManifestRow } from '../data/manifest-row.js';
import { resolveDataPath } from '../data/safe-path.js';
import { CancelledError, InvalidInputError, asError } from '../errors/domain-errors.js';
import { createLogger } from '../logging/logger.js';
import { writeClusterAssignments } from './cluster-assignment-file.js';
import { clusterFeatures } from './pca-kmeans.js';

export { readClusterAssignments } from './cluster-assignment-file.js';

const log = createLogger('cluster-data-set');

/** Images described per call of the feature extractor when the caller does not say. */
export const DEFAULT_BATCH_SIZE = 64;
/** Share of the progress given to feature extraction; clustering and writing take the rest. */
const EXTRACTION_PROGRESS_SHARE = 0.9;

/** What to cluster and where to write the result. */
export interface ClusterDataSetOptions {
  /** Images to cluster (usually every row of a manifest, or only its training rows). */
  rows: ManifestRow[];
  /** Folder the row ids are relative to. */
  imageDir: string;
  /**
   * Turns a batch of image files into one feature vector each (a network's penultimate layer, or
   * `describeImages` from `pixel-descriptor.ts`). It may reject when an image is unreadable; the
   * batch is then retried image by image so that only the bad ones are skipped.
   */
  extractFeatures: (filePaths: string[]) => Promise<Float32Array[]>;
  /** Number of k-means clusters. */
  clusters: number;
  /** PCA dimensions before k-means. */
  pcaComponents: number;
  /** Seed of everything random, so a run can be repeated exactly. */
  seed: number;
  /** Assignment file to write, `.xlsx` or `.csv`. */
  outputPath: string;
  /** Images per extractor call; bounds the memory held by decoded images. */
  batchSize?: number;
  /** Called with the fraction done, from 0 to 1. */
  onProgress?: (fraction: number) => void;
  /** Aborting it stops the job with CancelledError and no output file. */
  signal?: AbortSignal;
}

/** An image left out of the clustering, and why. */
export interface SkippedImage {
  id: string;
  reason: string;
}

/** What the clustering job found. */
export interface ClusterDataSetResult {
  /** Images per cluster. */
  sizes: number[];
  /** Sum of squared distances to the centroids. */
  inertia: number;
  /** Images that could not be read; they are not in the assignment file. */
  skipped: SkippedImage[];
}

/**
 * Extracts features of `rows` batch by batch, clusters them (standardise, PCA, k-means++) and
 * writes the assignment file (`id`, `cluster`, `distance`) atomically. Unreadable images and ids
 * outside the image folder are skipped and listed.
 *
 * @throws CancelledError when `signal` aborts (no file is written); InvalidInputError when fewer
 *   readable images remain than clusters, or the output extension is neither .xlsx nor .csv.
 */
export async function clusterDataSet(
  options: ClusterDataSetOptions,
): Promise<ClusterDataSetResult> {
  const { rows, imageDir, signal } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidInputError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  if (!/\.(xlsx|csv)$/i.test(options.outputPath)) {
    throw new InvalidInputError('the cluster assignment file must end in .xlsx or .csv');
  }
  log.info('clustering started', { images: rows.length, clusters: options.clusters });

  const ids: string[] = [];
  const features: Float32Array[] = [];
  const skipped: SkippedImage[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    throwIfAborted(signal);
    const batch: { id: string; filePath: string }[] = [];
    for (const row of rows.slice(start, start + batchSize)) {
      try {
        const filePath = await resolveDataPath(imageDir, row.id, {
          mustExist: true,
          field: 'image',
        });
        batch.push({ id: row.id, filePath });
      } catch (caught) {
        skipped.push({ id: row.id, reason: asError(caught).message });
      }
    }
    for (const described of await describeBatch(batch, options.extractFeatures, skipped)) {
      ids.push(described.id);
      features.push(described.features);
    }
    options.onProgress?.(
      (EXTRACTION_PROGRESS_SHARE * Math.min(rows.length, start + batchSize)) / rows.length,
    );
  }
  if (skipped.length > 0) log.warn('images skipped', { skipped: skipped.length });

  throwIfAborted(signal);
  const { clusters, pcaComponents, seed } = options;
  const result = clusterFeatures(features, { clusters, pcaComponents, seed });

  // k-means cannot be interrupted, so the abort is checked again before anything is written.
  throwIfAborted(signal);
  await writeClusterAssignments(
    options.outputPath,
    ids.map((id, i) => ({
      id,
      cluster: result.assignments[i] as number,
      distance: result.distances[i] as number,
    })),
  );
  options.onProgress?.(1);
  log.info('clustering finished', { sizes: result.sizes, inertia: result.inertia });
  return { sizes: result.sizes, inertia: result.inertia, skipped };
}

/** Features of a batch; on failure, retries image by image and records the unreadable ones. */
async function describeBatch(
  batch: { id: string; filePath: string }[],
  extractFeatures: (filePaths: string[]) => Promise<Float32Array[]>,
  skipped: SkippedImage[],
): Promise<{ id: string; features: Float32Array }[]> {
  if (batch.length === 0) return [];
  try {
    const features = await extractFeatures(batch.map((image) => image.filePath));
    if (features.length !== batch.length) {
      throw new Error(`extractor returned ${features.length} vectors for ${batch.length} images`);
    }
    return batch.map((image, i) => ({ id: image.id, features: features[i] as Float32Array }));
  } catch {
    const described: { id: string; features: Float32Array }[] = [];
    for (const image of batch) {
      try {
        const [features] = await extractFeatures([image.filePath]);
        if (!features) throw new Error('no feature vector returned');
        described.push({ id: image.id, features });
      } catch (caught) {
        // The library's message may hold the absolute path; the caller only gets the id.
        log.debug('image unreadable', { id: image.id, error: asError(caught) });
        skipped.push({ id: image.id, reason: `image ${image.id} could not be read` });
      }
    }
    return described;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('the clustering job was cancelled');
}
