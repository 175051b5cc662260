/**
 * Clustering and augmentation benchmark: images/s of the pixel descriptor and of model features
 * (small-cnn and reference-cnn at 64x64, random weights) over Fashion-MNIST composite PNGs,
 * images/s of the augmentation pipeline at 64x64 and 256x256, and the wall time of clustering
 * 64,674 random 512-dimensional feature vectors (the reference data set's size) to 50 PCA
 * dimensions and 5 clusters. Prints one JSON line.
 *
 *   node dist/bench/cluster-augment-bench.js
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { augmentImage } from '../src/augmentation/pipeline.js';
import type { RawImage } from '../src/augmentation/raw-image.js';
import { selectBackend } from '../src/backend/select-backend.js';
import { loadModelFeatureExtractor } from '../src/clustering/model-features.js';
import { clusterFeatures } from '../src/clustering/pca-kmeans.js';
import { describeImages } from '../src/clustering/pixel-descriptor.js';
import { setLogLevel } from '../src/logging/logger.js';
import { buildModel } from '../src/models/architectures.js';
import { DEFAULT_THRESHOLD } from '../src/store/model-metadata.js';
import { ModelStore } from '../src/store/model-store.js';
import { SeededRandom } from '../src/util/seeded-random.js';
import { buildFashionDataSet } from './fashion-data-set.js';

const REFERENCE_IMAGE_COUNT = 64_674;
const FEATURE_DIMENSIONS = 512;
const BATCH = 64;

async function imagesPerSecond(count: number, run: () => Promise<void>): Promise<number> {
  const startMs = performance.now();
  await run();
  return Math.round(count / ((performance.now() - startMs) / 1000));
}

async function modelFeatureRate(files: string[], architecture: string): Promise<number> {
  const homeDir = await mkdtemp(path.join(os.tmpdir(), 'labelwise-features-'));
  try {
    const store = new ModelStore(homeDir);
    await store.init();
    const model = buildModel(architecture, 64, 10, 1);
    const version = await store.saveModel(model, {
      labels: Array.from({ length: 10 }, (_, i) => `c${i}`),
      inputSize: 64,
      normalization: 'scale-0-1',
      threshold: DEFAULT_THRESHOLD,
      labelThresholds: {},
      metrics: {},
      architecture,
      createdAt: new Date().toISOString(),
      jobId: '',
      parentVersion: '',
      format: 'layers',
    });
    model.dispose();
    const extractor = await loadModelFeatureExtractor(store, version);
    await extractor.extract(files.slice(0, BATCH));
    const rate = await imagesPerSecond(files.length, async () => {
      for (let i = 0; i < files.length; i += BATCH)
        await extractor.extract(files.slice(i, i + BATCH));
    });
    extractor.dispose();
    return rate;
  } finally {
    await rm(homeDir, { recursive: true, force: true });
  }
}

async function augmentationRate(sizePx: number, count: number): Promise<number> {
  const random = new SeededRandom(3);
  const source: RawImage = {
    data: Buffer.from(Array.from({ length: sizePx * sizePx * 3 }, () => random.integer(0, 255))),
    width: sizePx,
    height: sizePx,
    channels: 3,
  };
  return imagesPerSecond(count, async () => {
    for (let i = 0; i < count; i++) await augmentImage(source, random);
  });
}

async function main(): Promise<void> {
  setLogLevel('warn');
  await selectBackend('wasm');
  const dataDir = fileURLToPath(new URL('../../bench/data/fashion-3000', import.meta.url));
  await buildFashionDataSet(dataDir, 3000);
  const imageDir = path.join(dataDir, 'images');
  const files = (await readdir(imageDir)).filter((f) => f.endsWith('.png')).slice(0, 1024);
  const paths = files.map((f) => path.join(imageDir, f));

  const pixelDescriptor = await imagesPerSecond(paths.length, async () => {
    for (let i = 0; i < paths.length; i += BATCH) await describeImages(paths.slice(i, i + BATCH));
  });
  const smallCnnFeatures = await modelFeatureRate(paths, 'small-cnn');
  const referenceCnnFeatures = await modelFeatureRate(paths, 'reference-cnn');
  const augment64 = await augmentationRate(64, 400);
  const augment256 = await augmentationRate(256, 150);

  const random = new SeededRandom(5);
  const vectors = Array.from({ length: REFERENCE_IMAGE_COUNT }, () =>
    Float32Array.from({ length: FEATURE_DIMENSIONS }, () => random.uniform(-1, 1)),
  );
  const clusterStartMs = performance.now();
  const clustered = clusterFeatures(vectors, { clusters: 5, pcaComponents: 50, seed: 1 });
  const clusterSeconds = (performance.now() - clusterStartMs) / 1000;

  process.stdout.write(
    JSON.stringify({
      bench: 'cluster-augment',
      featureImagesPerSecond: {
        pixelDescriptor,
        smallCnn: smallCnnFeatures,
        referenceCnn: referenceCnnFeatures,
      },
      augmentImagesPerSecond: { size64: augment64, size256: augment256 },
      clustering: {
        vectors: REFERENCE_IMAGE_COUNT,
        dimensions: FEATURE_DIMENSIONS,
        pcaComponents: 50,
        clusters: 5,
        wallSeconds: Number(clusterSeconds.toFixed(1)),
        sizes: clustered.sizes,
      },
    }) + '\n',
  );
}

await main();
