import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import path from 'node:path';
import { readManifest } from '../src/data/manifest-reader.js';
import { generateSyntheticDataSet } from '../src/demo/synthetic-data-set.js';
import { makeDirectories, startTestServer, type TestServer } from './helpers/test-server.js';

interface Job {
  id: string;
  state: string;
  message: string;
  cluster?: { sizes: number[]; output: string; features: string };
  augment?: { added: Record<string, number>; imagesAdded: number; outputManifest: string };
  train?: { modelVersion: string };
}

async function finished(server: TestServer, job: Job): Promise<Job> {
  for (;;) {
    const now: Job = await server.trainer.GetJob({ id: job.id });
    if (!['JOB_STATE_QUEUED', 'JOB_STATE_RUNNING'].includes(now.state)) return now;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('Cluster then Augment then Train gives a balanced set and a model from it', async (t) => {
  const server = await startTestServer(t);
  await generateSyntheticDataSet({
    directory: path.join(server.dataDir, 'set'),
    imageCount: 60,
    sizePx: 32,
  });

  const clustered = await finished(
    server,
    await server.trainer.Cluster({
      manifest: 'set/manifest.xlsx',
      imageDir: 'set/images',
      clusters: 3,
      pcaComponents: 8,
      output: 'set/clusters.csv',
    }),
  );
  t.is(clustered.state, 'JOB_STATE_SUCCEEDED', clustered.message);
  t.is(clustered.cluster?.features, 'pixels');
  const sizes = clustered.cluster?.sizes ?? [];
  t.is(sizes.length, 3);

  const augmented = await finished(
    server,
    await server.trainer.Augment({
      manifest: 'set/manifest.xlsx',
      imageDir: 'set/images',
      clusters: 'set/clusters.csv',
      outputManifest: 'set/balanced.xlsx',
      outputDir: 'set/images/augmented',
      policy: 'clusters',
    }),
  );
  t.is(augmented.state, 'JOB_STATE_SUCCEEDED', augmented.message);
  const largest = Math.max(...sizes);
  const expectedAdded = sizes.reduce((sum, size) => sum + (largest - size), 0);
  t.is(augmented.augment?.imagesAdded, expectedAdded);

  const original = await readManifest(path.join(server.dataDir, 'set/manifest.xlsx'), 'original');
  const balanced = await readManifest(path.join(server.dataDir, 'set/balanced.xlsx'), 'balanced');
  t.is(balanced.rows.length, original.rows.length + expectedAdded);
  t.is(
    balanced.rows.filter((row) => row.split === 'test').length,
    original.rows.filter((row) => row.split === 'test').length,
  );

  const trained = await finished(
    server,
    await server.trainer.Train({
      manifest: 'set/balanced.xlsx',
      imageDir: 'set/images',
      epochs: 1,
      batchSize: 16,
      inputSize: 32,
    }),
  );
  t.is(trained.state, 'JOB_STATE_SUCCEEDED', trained.message);
  t.is(trained.train?.modelVersion, '1');
});

test('Cluster uses the active model features once a model is active', async (t) => {
  const server = await startTestServer(t);
  await generateSyntheticDataSet({
    directory: path.join(server.dataDir, 'set'),
    imageCount: 40,
    sizePx: 32,
  });
  const trained = await finished(
    server,
    await server.trainer.Train({
      manifest: 'set/manifest.xlsx',
      imageDir: 'set/images',
      epochs: 1,
      batchSize: 16,
      inputSize: 32,
      activate: true,
    }),
  );
  t.is(trained.state, 'JOB_STATE_SUCCEEDED', trained.message);
  const clustered = await finished(
    server,
    await server.trainer.Cluster({
      manifest: 'set/manifest.xlsx',
      imageDir: 'set/images',
      clusters: 2,
      output: 'set/clusters.xlsx',
    }),
  );
  t.is(clustered.state, 'JOB_STATE_SUCCEEDED', clustered.message);
  t.is(clustered.cluster?.features, 'model:1');
});

test('the labels policy oversamples rare labels without a cluster file', async (t) => {
  const server = await startTestServer(t);
  await generateSyntheticDataSet({
    directory: path.join(server.dataDir, 'set'),
    imageCount: 60,
    sizePx: 32,
  });
  const augmented = await finished(
    server,
    await server.trainer.Augment({
      manifest: 'set/manifest.xlsx',
      imageDir: 'set/images',
      outputManifest: 'set/by-labels.csv',
      outputDir: 'set/images/by-labels',
      policy: 'labels',
    }),
  );
  t.is(augmented.state, 'JOB_STATE_SUCCEEDED', augmented.message);
  t.true((augmented.augment?.imagesAdded ?? 0) > 0);
  t.true(
    Object.keys(augmented.augment?.added ?? {}).every((label) =>
      ['blue', 'yellow', 'green', 'red'].includes(label),
    ),
  );
});

const badRequests: [string, object, grpc.status, RegExp][] = [
  ['an unknown policy', { policy: 'smote' }, grpc.status.INVALID_ARGUMENT, /policy/],
  [
    'the clusters policy without a cluster file',
    { policy: 'clusters', clusters: '' },
    grpc.status.INVALID_ARGUMENT,
    /clusters/,
  ],
  [
    'an output manifest outside the data directory',
    { outputManifest: '../../x.xlsx' },
    grpc.status.PERMISSION_DENIED,
    /output_manifest/,
  ],
  [
    'an output manifest equal to the input',
    { outputManifest: 'set/manifest.xlsx' },
    grpc.status.INVALID_ARGUMENT,
    /never modified/,
  ],
  ['a target ratio above 1', { targetRatio: 1.5 }, grpc.status.INVALID_ARGUMENT, /target_ratio/],
];

for (const [what, change, code, message] of badRequests) {
  test(`Augment with ${what} gets ${grpc.status[code]}`, async (t) => {
    const server = await startTestServer(t);
    await generateSyntheticDataSet({
      directory: path.join(server.dataDir, 'set'),
      imageCount: 4,
      sizePx: 16,
    });
    const request = {
      manifest: 'set/manifest.xlsx',
      imageDir: 'set/images',
      outputManifest: 'set/out.xlsx',
      outputDir: 'set/images/out',
      policy: 'labels',
      ...change,
    };
    const error = await t.throwsAsync(server.trainer.Augment(request));
    t.is((error as grpc.ServiceError).code, code);
    t.regex((error as grpc.ServiceError).details, message);
  });
}

test('Cluster with an unknown model version gets NOT_FOUND', async (t) => {
  const server = await startTestServer(t);
  await generateSyntheticDataSet({
    directory: path.join(server.dataDir, 'set'),
    imageCount: 4,
    sizePx: 16,
  });
  const error = await t.throwsAsync(
    server.trainer.Cluster({
      manifest: 'set/manifest.xlsx',
      imageDir: 'set/images',
      output: 'set/c.csv',
      modelVersion: '7',
    }),
  );
  t.is((error as grpc.ServiceError).code, grpc.status.NOT_FOUND);
});

test('outputs in the model or job store are refused inside the data directory', async (t) => {
  const { dataDir } = await makeDirectories(t);
  const server = await startTestServer(t, {
    directories: { homeDir: path.join(dataDir, 'home'), dataDir },
  });
  await generateSyntheticDataSet({
    directory: path.join(dataDir, 'set'),
    imageCount: 4,
    sizePx: 16,
  });
  const into = async (request: Promise<unknown>): Promise<grpc.ServiceError> =>
    (await t.throwsAsync(request)) as grpc.ServiceError;

  const augment = await into(
    server.trainer.Augment({
      manifest: 'set/manifest.xlsx',
      imageDir: 'set/images',
      outputManifest: 'set/out.xlsx',
      outputDir: 'home/models/9',
      policy: 'labels',
    }),
  );
  t.is(augment.code, grpc.status.PERMISSION_DENIED);
  t.regex(augment.details, /output_dir/);

  const cluster = await into(
    server.trainer.Cluster({
      manifest: 'set/manifest.xlsx',
      imageDir: 'set/images',
      output: 'home/jobs/clusters.csv',
    }),
  );
  t.is(cluster.code, grpc.status.PERMISSION_DENIED);
  t.regex(cluster.details, /output/);
});
