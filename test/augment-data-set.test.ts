import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import test, { type ExecutionContext } from 'ava';

import { augmentDataSet } from '../src/augmentation/augment-data-set.js';
import { readManifest } from '../src/data/manifest-reader.js';
import type { Manifest, ManifestRow } from '../src/data/manifest-row.js';
import { CancelledError, InvalidInputError } from '../src/errors/domain-errors.js';
import { setLogLevel } from '../src/logging/logger.js';
import { temporaryDir, writeFamilies } from './helpers/noisy-squares.js';

setLogLevel('error');

/**
 * A data set of 6 red, 3 green and 2 blue training images plus one test image per family; labels
 * are the family name, and the blue images also carry `sky`.
 */
async function dataSet(t: ExecutionContext): Promise<{ imageDir: string; manifest: Manifest }> {
  const imageDir = await temporaryDir(t);
  const ids = await writeFamilies(imageDir, 7, 24);
  const rows: ManifestRow[] = [];
  const add = (id: string, split: 'train' | 'test', labels: string[]): void => {
    rows.push({ row: rows.length + 2, id, split, labels });
  };
  ids.red.slice(0, 6).forEach((id) => add(id, 'train', ['red']));
  ids.green.slice(0, 3).forEach((id) => add(id, 'train', ['green']));
  ids.blue.slice(0, 2).forEach((id) => add(id, 'train', ['blue', 'sky']));
  add(ids.red[6] as string, 'test', ['red']);
  add(ids.green[6] as string, 'test', ['green']);
  add(ids.blue[6] as string, 'test', ['blue', 'sky']);
  return { imageDir, manifest: { rows, labelNames: ['blue', 'green', 'red', 'sky'] } };
}

function clustersByFamily(manifest: Manifest): Map<string, number> {
  const family = { red: 0, green: 1, blue: 2 } as Record<string, number>;
  return new Map(manifest.rows.map((row) => [row.id, family[row.id.split('-')[0] as string] ?? 0]));
}

test('cluster balancing adds copies to the small clusters with their sources labels', async (t) => {
  const { imageDir, manifest } = await dataSet(t);
  const before = structuredClone(manifest);
  const outputManifestPath = path.join(imageDir, 'augmented.xlsx');
  const result = await augmentDataSet({
    manifest,
    imageDir,
    outputDir: path.join(imageDir, 'augmented'),
    outputManifestPath,
    policy: 'clusters',
    clusterAssignments: clustersByFamily(manifest),
    targetRatio: 1,
    seed: 7,
  });

  t.deepEqual(result.added, { 'cluster-1': 3, 'cluster-2': 4 });
  t.is(result.imagesAdded, 7);
  t.deepEqual(manifest, before, 'the input manifest is not modified');
  const written = await readManifest(outputManifestPath, 'augmented.xlsx');
  t.is(written.rows.length, manifest.rows.length + 7);
  const byId = new Map(written.rows.map((row) => [row.id, row]));
  const added = written.rows.slice(manifest.rows.length);
  for (const row of added) {
    t.regex(row.id, /^augmented\/aug-7-\d+-(green|blue)-\d\.png$/);
    t.is(row.split, 'train');
    const sourceId = row.id.replace(/^augmented\/aug-7-\d+-/, '');
    t.deepEqual(row.labels, byId.get(sourceId)?.labels);
    t.is(byId.get(sourceId)?.split, 'train', 'a test image is never a source');
  }
  t.is((await readdir(path.join(imageDir, 'augmented'))).length, 7);
});

test('label oversampling copies only training images of minority labels', async (t) => {
  const { imageDir, manifest } = await dataSet(t);
  const outputManifestPath = path.join(imageDir, 'oversampled.csv');
  const result = await augmentDataSet({
    manifest,
    imageDir,
    outputDir: imageDir,
    outputManifestPath,
    policy: 'labels',
    targetRatio: 1,
    seed: 3,
  });
  t.true(result.imagesAdded > 0);
  const written = await readManifest(outputManifestPath, 'oversampled.csv');
  const testIds = new Set(manifest.rows.filter((row) => row.split === 'test').map((row) => row.id));
  for (const row of written.rows.slice(manifest.rows.length)) {
    const sourceId = row.id.replace(/^aug-3-\d+-/, '');
    t.false(testIds.has(sourceId));
    t.notDeepEqual(row.labels, ['red'], 'red is the majority label');
  }
});

test('the same seed writes the same images', async (t) => {
  const { imageDir, manifest } = await dataSet(t);
  const run = async (name: string): Promise<Buffer[]> => {
    const outputDir = path.join(imageDir, name);
    await augmentDataSet({
      manifest,
      imageDir,
      outputDir,
      outputManifestPath: path.join(imageDir, `${name}.csv`),
      policy: 'clusters',
      clusterAssignments: clustersByFamily(manifest),
      targetRatio: 1,
      seed: 11,
    });
    const names = (await readdir(outputDir)).sort();
    return Promise.all(names.map((file) => readFile(path.join(outputDir, file))));
  };
  t.deepEqual(await run('first'), await run('second'));
});

test('new names never collide with existing files or ids', async (t) => {
  const { imageDir, manifest } = await dataSet(t);
  const outputDir = path.join(imageDir, 'augmented');
  await mkdir(outputDir);
  // The first copy is of a green image (cluster 1 is the first to fill), so one of these is hit.
  const squatters = ['green-0', 'green-1', 'green-2'].map((stem) => `aug-5-1-${stem}.png`);
  for (const name of squatters) await writeFile(path.join(outputDir, name), 'someone else');
  const result = await augmentDataSet({
    manifest,
    imageDir,
    outputDir,
    outputManifestPath: path.join(imageDir, 'out.csv'),
    policy: 'clusters',
    clusterAssignments: clustersByFamily(manifest),
    targetRatio: 1,
    seed: 5,
  });
  const names = await readdir(outputDir);
  t.is(names.length, result.imagesAdded + squatters.length);
  t.true(names.some((name) => /^aug-5-1-green-\d-2\.png$/.test(name)));
  for (const name of squatters) {
    t.is(await readFile(path.join(outputDir, name), 'utf8'), 'someone else');
  }
});

test('an aborted job removes its images and writes no manifest', async (t) => {
  const { imageDir, manifest } = await dataSet(t);
  const outputDir = path.join(imageDir, 'augmented');
  const outputManifestPath = path.join(imageDir, 'augmented.csv');
  const controller = new AbortController();
  await t.throwsAsync(
    augmentDataSet({
      manifest,
      imageDir,
      outputDir,
      outputManifestPath,
      policy: 'clusters',
      clusterAssignments: clustersByFamily(manifest),
      targetRatio: 1,
      seed: 1,
      onProgress: (fraction) => {
        if (fraction > 0.3) controller.abort();
      },
      signal: controller.signal,
    }),
    { instanceOf: CancelledError },
  );
  const left = await readdir(imageDir);
  t.false(left.includes('augmented.csv'));
  t.false(left.includes('augmented'), 'the folder the job created is gone');
  t.false(left.some((name) => name.endsWith('.tmp')));
});

test('an output folder outside the image folder is refused', async (t) => {
  const { imageDir, manifest } = await dataSet(t);
  await t.throwsAsync(
    augmentDataSet({
      manifest,
      imageDir,
      outputDir: path.join(imageDir, '..', 'elsewhere'),
      outputManifestPath: path.join(imageDir, 'out.csv'),
      policy: 'labels',
      targetRatio: 1,
      seed: 1,
    }),
    { instanceOf: InvalidInputError, message: /inside/ },
  );
});
