import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import test from 'ava';

import { clusterDataSet, readClusterAssignments } from '../src/clustering/cluster-data-set.js';
import { writeClusterAssignments } from '../src/clustering/cluster-assignment-file.js';
import { clusterFeatures } from '../src/clustering/pca-kmeans.js';
import {
  DESCRIPTOR_LENGTH,
  describeImage,
  describeImages,
} from '../src/clustering/pixel-descriptor.js';
import type { ManifestRow } from '../src/data/manifest-row.js';
import { CancelledError, InvalidInputError } from '../src/errors/domain-errors.js';
import { setLogLevel } from '../src/logging/logger.js';
import { SeededRandom } from '../src/util/seeded-random.js';
import { temporaryDir, writeFamilies } from './helpers/noisy-squares.js';

setLogLevel('error');

function trainRows(ids: string[]): ManifestRow[] {
  return ids.map((id, i) => ({ row: i + 2, id, split: 'train', labels: [] }));
}

function randomVectors(count: number, dimensions: number, seed: number): number[][] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: dimensions }, () => random.next()),
  );
}

test(
  'the pixel descriptor is normalised: ' + 'each histogram sums to 1, the thumbnail lies in [0, 1]',
  async (t) => {
    const directory = await temporaryDir(t);
    const ids = await writeFamilies(directory, 1);
    const descriptor = await describeImage(path.join(directory, ids.red[0] as string));
    t.is(descriptor.length, DESCRIPTOR_LENGTH);
    for (let channel = 0; channel < 3; channel++) {
      const sum = descriptor.slice(channel * 16, channel * 16 + 16).reduce((a, b) => a + b, 0);
      t.true(Math.abs(sum - 1) < 1e-4);
    }
    t.true(descriptor.every((value) => value >= 0 && value <= 1));
  },
);

test('clustering pixel descriptors finds the three colour families', async (t) => {
  const directory = await temporaryDir(t);
  const ids = await writeFamilies(directory, 8);
  const all = [...ids.red, ...ids.green, ...ids.blue];
  const features = await describeImages(all.map((id) => path.join(directory, id)));
  const { assignments, sizes } = clusterFeatures(features, {
    clusters: 3,
    pcaComponents: 10,
    seed: 3,
  });
  t.deepEqual([...sizes].sort(), [8, 8, 8]);
  for (let family = 0; family < 3; family++) {
    const clusters = new Set(assignments.slice(family * 8, family * 8 + 8));
    t.is(clusters.size, 1, `family ${family} is split over clusters ${[...clusters]}`);
  }
});

test('the same seed gives the same clustering, distances included', (t) => {
  const vectors = randomVectors(300, 20, 5);
  const options = { clusters: 4, pcaComponents: 5, seed: 11 };
  t.deepEqual(clusterFeatures(vectors, options), clusterFeatures(vectors, options));
});

test('fitting PCA on a sample still assigns every point and reports consistent sizes', (t) => {
  const vectors = randomVectors(500, 12, 8);
  const result = clusterFeatures(vectors, {
    clusters: 3,
    pcaComponents: 4,
    seed: 2,
    maxFitRows: 100,
  });
  t.is(result.assignments.length, 500);
  t.is(result.distances.length, 500);
  t.is(
    result.sizes.reduce((a, b) => a + b, 0),
    500,
  );
  const inertia = result.distances.reduce((sum, distance) => sum + distance * distance, 0);
  t.true(Math.abs(inertia - result.inertia) < 1e-6 * result.inertia);
});

test('fewer vectors than clusters is an invalid input', (t) => {
  t.throws(
    () => clusterFeatures(randomVectors(2, 3, 1), { clusters: 3, pcaComponents: 2, seed: 1 }),
    {
      instanceOf: InvalidInputError,
    },
  );
});

for (const extension of ['csv', 'xlsx']) {
  test(
    `clustering a data set writes a ${extension} assignment file ` + 'and names unreadable images',
    async (t) => {
      const directory = await temporaryDir(t);
      const ids = await writeFamilies(directory, 5);
      await writeFile(path.join(directory, 'broken.png'), 'not an image');
      const rows = trainRows([...ids.red, 'broken.png', ...ids.green, 'missing.png', ...ids.blue]);
      const outputPath = path.join(directory, `clusters.${extension}`);
      const fractions: number[] = [];

      const result = await clusterDataSet({
        rows,
        imageDir: directory,
        extractFeatures: describeImages,
        clusters: 3,
        pcaComponents: 8,
        seed: 4,
        outputPath,
        batchSize: 4,
        onProgress: (fraction) => fractions.push(fraction),
      });

      t.deepEqual([...result.sizes].sort(), [5, 5, 5]);
      t.deepEqual(result.skipped.map((skip) => skip.id).sort(), ['broken.png', 'missing.png']);
      t.is(fractions.at(-1), 1);
      const clusters = await readClusterAssignments(outputPath);
      t.is(clusters.size, 15);
      t.is(new Set(ids.red.map((id) => clusters.get(id))).size, 1);
      t.not(clusters.get(ids.red[0] as string), clusters.get(ids.blue[0] as string));
    },
  );
}

test('an aborted clustering throws CancelledError and writes no file', async (t) => {
  const directory = await temporaryDir(t);
  const ids = await writeFamilies(directory, 4);
  const controller = new AbortController();
  const outputPath = path.join(directory, 'clusters.csv');
  await t.throwsAsync(
    clusterDataSet({
      rows: trainRows([...ids.red, ...ids.green, ...ids.blue]),
      imageDir: directory,
      extractFeatures: async (filePaths) => {
        controller.abort();
        return describeImages(filePaths);
      },
      clusters: 3,
      pcaComponents: 4,
      seed: 1,
      outputPath,
      batchSize: 4,
      signal: controller.signal,
    }),
    { instanceOf: CancelledError },
  );
  t.false((await readdir(directory)).some((name) => name.includes('clusters')));
});

test('a repeated id in an assignment file is refused naming both rows', async (t) => {
  const directory = await temporaryDir(t);
  const filePath = path.join(directory, 'clusters.csv');
  await writeClusterAssignments(filePath, [
    { id: 'a.png', cluster: 0, distance: 1 },
    { id: 'a.png', cluster: 1, distance: 2 },
  ]);
  await t.throwsAsync(readClusterAssignments(filePath), {
    instanceOf: InvalidInputError,
    message: /row 3: id a\.png repeats row 2/,
  });
});

test('a cluster that is not a non-negative integer is refused naming the row', async (t) => {
  const directory = await temporaryDir(t);
  const filePath = path.join(directory, 'clusters.csv');
  await writeFile(filePath, 'id,cluster,distance\na.png,0,1\nb.png,x,1\n');
  await t.throwsAsync(readClusterAssignments(filePath), {
    instanceOf: InvalidInputError,
    message: /row 3: cluster of b\.png/,
  });
});

test('numeric-looking ids in a CSV assignment file keep their leading zeros', async (t) => {
  const directory = await temporaryDir(t);
  const filePath = path.join(directory, 'clusters.csv');
  await writeFile(filePath, 'id,cluster,distance\n007,2,0.5\n');
  t.deepEqual([...(await readClusterAssignments(filePath))], [['007', 2]]);
});
