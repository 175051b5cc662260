import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import path from 'node:path';
import { generateSyntheticDataSet } from '../src/demo/synthetic-data-set.js';
import { solidImage } from './helpers/images.js';
import { labelwiseV1 } from '../src/grpc/proto-definition.js';
import { startServerProcess } from './helpers/server-process.js';
import {
  makeDirectories,
  promisify,
  startTestServer,
  type TestServer,
} from './helpers/test-server.js';

interface Job {
  id: string;
  state: string;
  progress: number;
  message: string;
  train?: { modelVersion: string; validation: { f1Macro: number; labels: unknown[] } };
  evaluate?: {
    f1Micro: number;
    f1Macro: number;
    images: number;
    labels: { label: string }[];
    thresholdCurve: { threshold: number; f1Micro: number; f1Macro: number }[];
  };
  trainProgress?: { epoch: number; loss: number } | null;
}

function watch(server: TestServer, id: string): Promise<Job[]> {
  return new Promise((resolve, reject) => {
    const seen: Job[] = [];
    const stream = (
      server.rawTrainer as unknown as { WatchJob(r: object): grpc.ClientReadableStream<Job> }
    ).WatchJob({ id });
    stream.on('data', (job: Job) => seen.push(job));
    stream.on('end', () => resolve(seen));
    stream.on('error', reject);
  });
}

async function withDataSet(t: Parameters<typeof startTestServer>[0], imageCount = 60) {
  const server = await startTestServer(t);
  await generateSyntheticDataSet({
    directory: path.join(server.dataDir, 'colours'),
    imageCount,
    sizePx: 32,
  });
  return server;
}

const TINY_TRAINING = {
  manifest: 'colours/manifest.xlsx',
  imageDir: 'colours/images',
  epochs: 2,
  batchSize: 16,
  inputSize: 32,
  architecture: 'small-cnn',
};

test('a model trained over gRPC is watched to the end, activated and predicts', async (t) => {
  const server = await withDataSet(t);
  const queued: Job = await server.trainer.Train({ ...TINY_TRAINING, activate: true });
  t.is(queued.state, 'JOB_STATE_QUEUED');
  const updates = await watch(server, queued.id);
  const last = updates.at(-1) as Job;
  t.is(last.state, 'JOB_STATE_SUCCEEDED', last.message);
  t.true(
    updates.some((u) => u.state === 'JOB_STATE_RUNNING' && (u.trainProgress?.epoch ?? 0) >= 1),
  );
  t.is(last.train?.modelVersion, '1');
  t.is(last.train?.validation.labels.length, 4);
  t.regex(last.message, /trained model version 1 and activated it/);

  const model = await server.classifier.GetModel({});
  t.is(model.version, '1');
  t.is(Object.keys(model.labelThresholds).length, 4);
  const response = await server.classifier.Predict({
    images: [{ id: 'x', data: await solidImage([220, 30, 30]) }],
  });
  t.is(response.modelVersion, '1');
  t.is(response.predictions[0].scores.length, 4);
});

test('Evaluate reports F1 and a per-label table for the test split', async (t) => {
  const server = await withDataSet(t);
  const trained = await watch(
    server,
    (await server.trainer.Train({ ...TINY_TRAINING, activate: true })).id,
  );
  t.is(trained.at(-1)?.state, 'JOB_STATE_SUCCEEDED');
  const job: Job = await server.trainer.Evaluate({
    manifest: 'colours/manifest.xlsx',
    imageDir: 'colours/images',
  });
  const last = (await watch(server, job.id)).at(-1) as Job;
  t.is(last.state, 'JOB_STATE_SUCCEEDED', last.message);
  const result = last.evaluate!;
  t.true(result.images > 0);
  t.true(result.f1Micro >= 0 && result.f1Micro <= 1);
  t.deepEqual(result.labels.map((l) => l.label).sort(), ['blue', 'green', 'red', 'yellow']);
  t.is(result.thresholdCurve.length, 19);
  t.true(Math.abs((result.thresholdCurve[3]?.threshold ?? 0) - 0.2) < 1e-6);
  t.true(result.thresholdCurve.every((p) => p.f1Micro >= 0 && p.f1Micro <= 1));
  const metrics = await (
    await fetch(`http://127.0.0.1:${server.server.metricsPort}/metrics`)
  ).text();
  t.regex(metrics, /labelwise_evaluation_f1\{average="macro",model_version="1"\}/);
});

test('a job can be cancelled while it runs', async (t) => {
  const server = await withDataSet(t, 80);
  const job: Job = await server.trainer.Train({ ...TINY_TRAINING, epochs: 200 });
  const updates = watch(server, job.id);
  while ((await server.trainer.GetJob({ id: job.id })).state !== 'JOB_STATE_RUNNING') {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await server.trainer.CancelJob({ id: job.id });
  const last = (await updates).at(-1) as Job;
  t.is(last.state, 'JOB_STATE_CANCELLED');
  t.deepEqual(await server.store.listVersions(), []);
});

const badRequests: [string, object, grpc.status, RegExp][] = [
  [
    'a manifest outside the data directory',
    { manifest: '../x.xlsx', imageDir: 'colours/images' },
    grpc.status.PERMISSION_DENIED,
    /manifest/,
  ],
  [
    'an absolute image folder',
    { manifest: 'colours/manifest.xlsx', imageDir: '/etc' },
    grpc.status.PERMISSION_DENIED,
    /image_dir/,
  ],
  [
    'a missing manifest',
    { manifest: 'nope.xlsx', imageDir: 'colours/images' },
    grpc.status.NOT_FOUND,
    /nope\.xlsx/,
  ],
  [
    'an unknown architecture',
    { ...TINY_TRAINING, architecture: 'resnet-9000' },
    grpc.status.INVALID_ARGUMENT,
    /resnet-9000/,
  ],
  ['an unknown loss', { ...TINY_TRAINING, loss: 'hinge' }, grpc.status.INVALID_ARGUMENT, /hinge/],
  [
    'a negative epoch count',
    { ...TINY_TRAINING, epochs: -3 },
    grpc.status.INVALID_ARGUMENT,
    /epochs/,
  ],
  [
    'a NaN learning rate',
    { ...TINY_TRAINING, learningRate: NaN },
    grpc.status.INVALID_ARGUMENT,
    /learning_rate/,
  ],
];

for (const [what, request, code, message] of badRequests) {
  test(`Train with ${what} gets ${grpc.status[code]}`, async (t) => {
    const server = await withDataSet(t, 4);
    const error = await t.throwsAsync(server.trainer.Train(request));
    t.is((error as grpc.ServiceError).code, code);
    t.regex((error as grpc.ServiceError).details, message);
    t.notRegex((error as grpc.ServiceError).details, new RegExp(server.dataDir));
  });
}

test('an unknown job id gets NOT_FOUND', async (t) => {
  const server = await startTestServer(t);
  const error = await t.throwsAsync(server.trainer.GetJob({ id: 'job-nope' }));
  t.is((error as grpc.ServiceError).code, grpc.status.NOT_FOUND);
});

test(
  'a job running when the server was killed is FAILED after a restart, ' + 'with the reason',
  async (t) => {
    const { homeDir, dataDir } = await makeDirectories(t);
    await generateSyntheticDataSet({
      directory: path.join(dataDir, 'colours'),
      imageCount: 80,
      sizePx: 32,
    });
    const killed = await startServerProcess(t, homeDir, dataDir);
    const client = new labelwiseV1.Trainer(
      `127.0.0.1:${killed.port}`,
      grpc.credentials.createInsecure(),
    );
    t.teardown(() => client.close());
    const trainer = promisify(client);
    const job: Job = await trainer.Train({ ...TINY_TRAINING, epochs: 200 });
    while ((await trainer.GetJob({ id: job.id })).trainProgress === null) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    killed.child.kill('SIGKILL');
    await killed.exited;

    const restarted = await startTestServer(t, { directories: { homeDir, dataDir } });
    const after: Job = await restarted.trainer.GetJob({ id: job.id });
    t.is(after.state, 'JOB_STATE_FAILED');
    t.regex(after.message, /server stopped while this job was running/);
    t.deepEqual(await restarted.store.listVersions(), []);
  },
);

test('training on two threads splits each batch with a gradient helper and succeeds', async (t) => {
  const server = await startTestServer(t, { config: { trainingThreads: 2 } });
  await generateSyntheticDataSet({
    directory: path.join(server.dataDir, 'colours'),
    imageCount: 60,
    sizePx: 32,
  });
  const job: Job = await server.trainer.Train({ ...TINY_TRAINING, epochs: 3, activate: true });
  const last = (await watch(server, job.id)).at(-1) as Job;
  t.is(last.state, 'JOB_STATE_SUCCEEDED', last.message);
  t.true((last.train?.validation.f1Macro ?? -1) >= 0);
  const response = await server.classifier.Predict({
    images: [{ id: 'r', data: await solidImage([220, 30, 30]) }],
  });
  t.is(response.modelVersion, '1');
});
