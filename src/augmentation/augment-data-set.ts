/**
 * The augmentation job: plans which training images to copy (cluster balancing or ML-ROS), writes
 * an augmented PNG for every planned copy and a new manifest listing the originals plus the copies.
 *
 * Where the copies go: `outputDir` must be the image folder or a folder inside it, and a copy's id
 * is its path relative to the image folder (e.g. `augmented/aug-7-12-cat.png`). The new manifest
 * is therefore used with the same image folder as the original, and ids stay file names relative
 * to one folder.
 */
import { availableParallelism } from 'node:os';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';

import { writeManifest } from '../data/manifest-writer.js';
import type { Manifest, ManifestRow } from '../data/manifest-row.js';
import { resolveDataPath } from '../data/safe-path.js';
import { CancelledError, InvalidInputError, asError } from '../errors/domain-errors.js';
import { createLogger } from '../logging/logger.js';
import { temporaryPathFor } from '../store/atomic-write.js';
import { SeededRandom } from '../util/seeded-random.js';
import { type PlannedCopy, planClusterBalancing, planLabelOversampling } from './balancing-plan.js';
import { augmentImage } from './pipeline.js';
import { readRawImage, sharpFromRaw } from './raw-image.js';

const log = createLogger('augment-data-set');

/** What to augment and where to put the result. */
export interface AugmentDataSetOptions {
  /** The data set; it is read, never modified. */
  manifest: Manifest;
  /** Folder the manifest ids are relative to. */
  imageDir: string;
  /** Where new images go: the image folder or a folder inside it (created if missing). */
  outputDir: string;
  /** The new manifest (`.xlsx` or `.csv`); written last, and only if every image was written. */
  outputManifestPath: string;
  /** `clusters`: fill small clusters (needs clusterAssignments); `labels`: ML-ROS on the labels. */
  policy: 'clusters' | 'labels';
  /** Image id to cluster, from `readClusterAssignments`. */
  clusterAssignments?: Map<string, number>;
  /** Cluster policy: size of the small clusters relative to the largest, in (0, 1]. */
  targetRatio: number;
  /** Seed of the plan and of every augmentation; the same seed gives the same images. */
  seed: number;
  /** Label policy: most copies as a fraction of the training rows (default 1, i.e. double). */
  maxAddedFraction?: number;
  /** Images augmented at once; sharp works on its own threads meanwhile. */
  concurrency?: number;
  /** Called with the fraction of planned copies done, from 0 to 1. */
  onProgress?: (fraction: number) => void;
  /** Aborting it stops the job with CancelledError, removes its images and writes no manifest. */
  signal?: AbortSignal;
}

/** What the augmentation job added. */
export interface AugmentDataSetResult {
  /** Copies per group (`cluster-<n>` or a minority label's name). */
  added: Record<string, number>;
  /** New images written (and rows added to the manifest). */
  imagesAdded: number;
  /** Augmentations thrown away as degenerate and drawn again. */
  redraws: number;
  /** Path of the manifest written. */
  outputManifest: string;
  /** Planned copies whose source image could not be read, by source id. */
  skipped: { id: string; reason: string }[];
}

/**
 * Augments the training rows of `manifest` according to `policy` and writes the images and the new
 * manifest (every original row, then one training row per copy with its source's labels). Test
 * rows are never copied. With the cluster policy, training rows missing from the assignment file
 * are neither counted nor copied.
 *
 * @throws InvalidInputError for an output folder outside the image folder, a missing or empty
 *   cluster assignment map, or a label not in the manifest's label list; CancelledError when
 *   `signal` aborts. On any failure the images written so far are removed and no manifest is left.
 */
export async function augmentDataSet(
  options: AugmentDataSetOptions,
): Promise<AugmentDataSetResult> {
  const { manifest, imageDir, outputDir, seed, signal } = options;
  const outputPrefix = outputPrefixOf(imageDir, outputDir);
  const random = new SeededRandom(seed);
  const trainRows = manifest.rows.filter((row) => row.split === 'train');
  const { sources, plan } = makePlan(options, trainRows, random);
  log.info('augmentation started', { policy: options.policy, copies: plan.length, seed });

  const createdDir = await makeDirectory(outputDir);
  const names = await allocateNames(plan, sources, manifest, outputDir, outputPrefix, seed);
  // One child seed per copy, drawn up front, so the result does not depend on completion order.
  const seeds = plan.map(() => random.fork());
  const files = { written: [] as string[], inFlight: new Set<string>() };
  const outcomes: ({ redraws: number } | { skipped: string } | undefined)[] = new Array(
    plan.length,
  );

  try {
    let next = 0;
    let done = 0;
    let failure: { caught: unknown } | undefined;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < plan.length) {
        const index = next++;
        try {
          throwIfAborted(signal);
          const source = sources[(plan[index] as PlannedCopy).sourceRowIndex] as ManifestRow;
          const finalPath = path.join(outputDir, names[index] as string);
          const copyRandom = new SeededRandom(seeds[index] as number);
          outcomes[index] = await writeCopy(imageDir, source, finalPath, copyRandom, files);
          options.onProgress?.(++done / plan.length);
        } catch (caught) {
          failure ??= { caught };
        }
      }
    };
    // Every worker is awaited, even after a failure, so that no write lands after the clean-up.
    const concurrency = Math.max(1, options.concurrency ?? Math.min(4, availableParallelism()));
    await Promise.all(Array.from({ length: Math.min(concurrency, plan.length) }, worker));
    if (failure !== undefined) throw failure.caught;
    throwIfAborted(signal);

    const result = summarise(plan, sources, outcomes, names, outputPrefix, manifest);
    await writeManifest(options.outputManifestPath, result.manifest);
    log.info('augmentation finished', { imagesAdded: result.imagesAdded, redraws: result.redraws });
    return {
      added: result.added,
      imagesAdded: result.imagesAdded,
      redraws: result.redraws,
      outputManifest: options.outputManifestPath,
      skipped: result.skipped,
    };
  } catch (caught) {
    await removeOutputs([...files.written, ...files.inFlight], createdDir ? outputDir : undefined);
    const error = asError(caught);
    log.warn('augmentation stopped, outputs removed', { error, removed: files.written.length });
    throw error;
  }
}

/** The source rows the plan indexes, and the plan itself. */
function makePlan(
  options: AugmentDataSetOptions,
  trainRows: ManifestRow[],
  random: SeededRandom,
): { sources: ManifestRow[]; plan: PlannedCopy[] } {
  if (options.policy === 'labels') {
    const labelIndex = new Map(options.manifest.labelNames.map((name, i) => [name, i]));
    const labelSets = trainRows.map((row) =>
      row.labels.map((label) => {
        const index = labelIndex.get(label);
        if (index === undefined) {
          throw new InvalidInputError(`manifest row ${row.row}: label ${label} is not declared`);
        }
        return index;
      }),
    );
    const plan = planLabelOversampling(labelSets, options.manifest.labelNames, random, {
      maxAddedFraction: options.maxAddedFraction ?? 1,
    });
    return { sources: trainRows, plan };
  }

  const assignments = options.clusterAssignments;
  if (!assignments) {
    throw new InvalidInputError('the cluster policy needs a cluster assignment file');
  }
  const sources = trainRows.filter((row) => assignments.has(row.id));
  if (sources.length === 0 && trainRows.length > 0) {
    throw new InvalidInputError('no training image of the manifest is in the cluster assignments');
  }
  if (sources.length < trainRows.length) {
    log.warn('training rows without a cluster are not balanced', {
      missing: trainRows.length - sources.length,
    });
  }
  const clusters = sources.map((row) => assignments.get(row.id) as number);
  return { sources, plan: planClusterBalancing(clusters, options.targetRatio, random) };
}

/**
 * The id prefix of files in `outputDir` (`''` or `sub/folder/`).
 *
 * @throws InvalidInputError when `outputDir` is not `imageDir` or inside it.
 */
function outputPrefixOf(imageDir: string, outputDir: string): string {
  const relative = path.relative(path.resolve(imageDir), path.resolve(outputDir));
  if (relative === '') return '';
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new InvalidInputError('output_dir must be the image folder or a folder inside it');
  }
  return relative.split(path.sep).join('/') + '/';
}

/** Creates `directory` if needed; true when this call created it (so it may remove it again). */
async function makeDirectory(directory: string): Promise<boolean> {
  return (await mkdir(directory, { recursive: true })) !== undefined;
}

/**
 * File names `aug-<seed>-<n>-<source name>.png`, with a `-<k>` suffix when the name is taken by a
 * manifest id or a file already in the folder, so a copy never overwrites anything.
 */
async function allocateNames(
  plan: PlannedCopy[],
  sources: ManifestRow[],
  manifest: Manifest,
  outputDir: string,
  outputPrefix: string,
  seed: number,
): Promise<string[]> {
  const taken = new Set(
    manifest.rows.map((row) => path.posix.normalize(row.id.replace(/\\/g, '/'))),
  );
  for (const existing of await readdir(outputDir)) taken.add(outputPrefix + existing);

  return plan.map((copy, n) => {
    const source = sources[copy.sourceRowIndex] as ManifestRow;
    const stem = path.posix
      .basename(source.id.replace(/\\/g, '/'), path.extname(source.id))
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 80);
    let name = `aug-${seed}-${n + 1}-${stem}.png`;
    for (let k = 2; taken.has(outputPrefix + name); k++)
      name = `aug-${seed}-${n + 1}-${stem}-${k}.png`;
    taken.add(outputPrefix + name);
    return name;
  });
}

/** Augments one copy and writes it under a temporary name, then renames it into place. */
async function writeCopy(
  imageDir: string,
  source: ManifestRow,
  finalPath: string,
  random: SeededRandom,
  files: { written: string[]; inFlight: Set<string> },
): Promise<{ redraws: number } | { skipped: string }> {
  let image;
  try {
    const sourcePath = await resolveDataPath(imageDir, source.id, {
      mustExist: true,
      field: 'image',
    });
    image = await readRawImage(sourcePath);
  } catch (caught) {
    log.debug('source unreadable', { id: source.id, error: asError(caught) });
    return { skipped: `image ${source.id} (manifest row ${source.row}) could not be read` };
  }

  const { image: augmented, redraws } = await augmentImage(image, random);
  const temporary = temporaryPathFor(finalPath);
  files.inFlight.add(temporary);
  try {
    await sharpFromRaw(augmented).png().toFile(temporary);
    await rename(temporary, finalPath);
    files.written.push(finalPath);
  } finally {
    files.inFlight.delete(temporary);
  }
  return { redraws };
}

/** Turns the outcomes into the new manifest and the job's statistics. */
function summarise(
  plan: PlannedCopy[],
  sources: ManifestRow[],
  outcomes: ({ redraws: number } | { skipped: string } | undefined)[],
  names: string[],
  outputPrefix: string,
  manifest: Manifest,
): Omit<AugmentDataSetResult, 'outputManifest'> & { manifest: Manifest } {
  const added: Record<string, number> = {};
  const skipped: { id: string; reason: string }[] = [];
  const newRows: ManifestRow[] = [];
  let redraws = 0;
  let nextRow = Math.max(1, ...manifest.rows.map((row) => row.row)) + 1;
  plan.forEach((copy, index) => {
    const source = sources[copy.sourceRowIndex] as ManifestRow;
    const outcome = outcomes[index];
    if (outcome === undefined) throw new Error(`copy ${index} was never made`);
    if ('skipped' in outcome) {
      skipped.push({ id: source.id, reason: outcome.skipped });
      return;
    }
    redraws += outcome.redraws;
    added[copy.group] = (added[copy.group] ?? 0) + 1;
    const id = outputPrefix + (names[index] as string);
    newRows.push({ row: nextRow++, id, split: 'train', labels: [...source.labels] });
  });
  const rows = [...manifest.rows.map((row) => ({ ...row, labels: [...row.labels] })), ...newRows];
  return {
    added,
    imagesAdded: newRows.length,
    redraws,
    skipped,
    manifest: { rows, labelNames: [...manifest.labelNames] },
  };
}

/** Removes the files of a failed job, and the output folder if the job created it. */
async function removeOutputs(files: string[], createdDir: string | undefined): Promise<void> {
  await Promise.all(files.map((file) => rm(file, { force: true })));
  if (createdDir === undefined) return;
  // rmdir only removes an empty folder: anything someone else put there stays.
  await rmdir(createdDir).catch(() => undefined);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('the augmentation job was cancelled');
}
