import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { generateSyntheticDataSet } from '../src/demo/synthetic-data-set.js';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { startBackgroundTraining } from './helpers/background-training.js';
import { describeLatency, timedMs } from './helpers/latency.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const MIB = 1024 * 1024;
/** Generous: the point is to catch a leak of one model per swap (100 swaps), not to measure. */
const MAX_RSS_GROWTH_BYTES = 150 * MIB;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function twoColourVersions(t: Parameters<typeof startTestServer>[0], config = {}) {
  return startTestServer(t, {
    config,
    prepare: async (store) => {
      await store.setActiveVersion(await saveColourModel(store, 16, 4));
      await saveColourModel(store, 16, 12);
    },
  });
}

async function metricValue(server: TestServer, pattern: RegExp): Promise<number> {
  const text = await server.server.metrics.registry.metrics();
  const match = pattern.exec(text);
  return match === null ? 0 : Number(match[1]);
}

// Serial: the RSS is per process, and concurrent tests load their own models.
test.serial('100 activations under Predict load fail no call and free every tensor', async (t) => {
  const server = await twoColourVersions(t);
  const red = await solidImage([255, 0, 0]);
  // Warm both versions up once so that the baseline includes what a steady state holds.
  await server.trainer.ActivateModel({ version: '2' });
  await server.trainer.ActivateModel({ version: '1' });
  await server.classifier.Predict({ images: [{ id: 'warm', data: red }] });
  const tensorsBefore = (await server.server.inference.memory()).numTensors;
  const rssBefore = process.memoryUsage().rss;

  let stopped = false;
  let calls = 0;
  const failures: string[] = [];
  const versionsSeen = new Set<string>();
  const client = async (): Promise<void> => {
    while (!stopped) {
      try {
        const response = await server.classifier.Predict({ images: [{ id: 'r', data: red }] });
        versionsSeen.add(response.modelVersion);
        if (response.predictions[0].labels[0] !== 'red') failures.push('wrong answer');
        calls++;
      } catch (caught) {
        failures.push((caught as grpc.ServiceError).details);
      }
    }
  };
  const clients = Array.from({ length: 6 }, client);
  for (let cycle = 0; cycle < 100; cycle++) {
    await server.trainer.ActivateModel({ version: cycle % 2 === 0 ? '2' : '1' });
  }
  stopped = true;
  await Promise.all(clients);
  // Retired models are disposed when their last in-flight batch releases them.
  await sleep(50);

  const rssAfter = process.memoryUsage().rss;
  t.log(
    `RSS ${(rssBefore / MIB).toFixed(1)} MiB before, ${(rssAfter / MIB).toFixed(1)} MiB after ` +
      `100 activations and ${calls} Predict calls`,
  );
  t.deepEqual(failures, []);
  t.deepEqual([...versionsSeen].sort(), ['1', '2']);
  t.is((await server.server.inference.memory()).numTensors, tensorsBefore);
  t.true(rssAfter - rssBefore < MAX_RSS_GROWTH_BYTES, 'RSS grew by less than 150 MiB');
});

test('a call whose deadline passes while queued is dropped without being scored', async (t) => {
  // A long batching delay keeps the image queued past the caller's deadline.
  const server = await twoColourVersions(t, { maxQueueDelayMs: 400, maxBatchSize: 64 });
  const data = await solidImage([0, 255, 0]);
  const predictedBefore = await metricValue(server, /labelwise_images_predicted_total (\d+)/);
  const error = await t.throwsAsync(
    server.classifier.Predict({ images: [{ id: 'late', data }] }, { deadline: Date.now() + 100 }),
  );
  t.is((error as grpc.ServiceError).code, grpc.status.DEADLINE_EXCEEDED);
  // Wait for the batch to be cut, where the expired image is noticed and dropped.
  await sleep(600);
  t.is(await metricValue(server, /labelwise_predict_rejected_total\{reason="deadline"\} (\d+)/), 1);
  t.is(await metricValue(server, /labelwise_images_predicted_total (\d+)/), predictedBefore);
  const after = await server.classifier.Predict({ images: [{ id: 'g', data }] });
  t.deepEqual(after.predictions[0].labels, ['green']);
});

test(
  'a request beyond the queue depth is refused at once, ' + 'before queued work finishes',
  async (t) => {
    const server = await twoColourVersions(t, { maxQueueDepth: 4, maxQueueDelayMs: 500 });
    const data = await solidImage([0, 0, 255]);
    const events: string[] = [];
    const queued = server.classifier
      .Predict({ images: Array.from({ length: 4 }, (_, i) => ({ id: `q${i}`, data })) })
      .then(() => events.push('queued request answered'));
    // Let the first request's images reach the queue.
    while ((await metricValue(server, /labelwise_predict_queue_depth_images (\d+)/)) < 4) {
      await sleep(5);
    }
    const refused = await t.throwsAsync(server.classifier.Predict({ images: [{ id: 'x', data }] }));
    events.push('extra request refused');
    t.is((refused as grpc.ServiceError).code, grpc.status.RESOURCE_EXHAUSTED);
    t.regex((refused as grpc.ServiceError).details, /queue is full/);
    await queued;
    t.deepEqual(events, ['extra request refused', 'queued request answered']);
    t.is(
      await metricValue(server, /labelwise_predict_rejected_total\{reason="queue_full"\} (\d+)/),
      1,
    );
  },
);

// Serial: it measures latency while a training worker uses both cores; another test's load would
// blur the comparison (which is logged, not asserted).
test.serial('Predict never fails while a training job runs', async (t) => {
  const server = await twoColourVersions(t, { maxQueueDelayMs: 2 });
  await generateSyntheticDataSet({
    directory: path.join(server.dataDir, 'colours'),
    imageCount: 60,
    sizePx: 32,
  });
  const red = await solidImage([255, 0, 0]);
  const measure = async (untilMs: number, keepGoing: () => boolean): Promise<number[]> => {
    const samplesMs: number[] = [];
    const client = async (): Promise<void> => {
      while (Date.now() < untilMs && keepGoing()) {
        samplesMs.push(
          await timedMs(async () => {
            const response = await server.classifier.Predict({ images: [{ id: 'r', data: red }] });
            t.deepEqual(response.predictions[0].labels, ['red']);
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: 4 }, client));
    return samplesMs;
  };

  const idleMs = await measure(Date.now() + 2000, () => true);
  const jobId = await startBackgroundTraining(server.trainer);
  let training = true;
  const watcher = (async () => {
    while (training) {
      training = (await server.trainer.GetJob({ id: jobId })).state === 'JOB_STATE_RUNNING';
      await sleep(100);
    }
  })();
  const trainingMs = await measure(Date.now() + 4000, () => training);
  const stillRunning = training;
  training = false;
  await watcher;
  await server.trainer.CancelJob({ id: jobId });

  t.log(`idle: ${describeLatency(idleMs)}`);
  t.log(`training: ${describeLatency(trainingMs)}`);
  t.true(stillRunning, 'the job ran for the whole measurement');
  t.true(trainingMs.length > 0);
});
