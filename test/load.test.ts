/**
 * Sustained load: concurrent Predict clients while the active version is swapped every two
 * seconds and a training job runs. Bounded in time; latency is logged, not asserted.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { generateSyntheticDataSet } from '../src/demo/synthetic-data-set.js';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { startBackgroundTraining } from './helpers/background-training.js';
import { describeLatency, timedMs } from './helpers/latency.js';
import { startTestServer } from './helpers/test-server.js';

const CLIENTS = 16;
const DURATION_MS = 16_000;
const SWAP_INTERVAL_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Serial: it loads both cores on purpose; another test at the same time would skew its figures.
test.serial('16 clients see no failed call through hot swaps and a training job', async (t) => {
  const server = await startTestServer(t, {
    prepare: async (store) => {
      await store.setActiveVersion(await saveColourModel(store, 16, 4));
      await saveColourModel(store, 16, 12);
    },
  });
  await generateSyntheticDataSet({
    directory: path.join(server.dataDir, 'colours'),
    imageCount: 60,
    sizePx: 32,
  });
  const colours: [string, [number, number, number]][] = [
    ['red', [255, 0, 0]],
    ['green', [0, 255, 0]],
    ['blue', [0, 0, 255]],
  ];
  const images = await Promise.all(colours.map(([, rgb]) => solidImage(rgb, 'jpeg', 64, 48)));

  const jobId = await startBackgroundTraining(server.trainer);

  const endMs = Date.now() + DURATION_MS;
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  let rejected = 0;
  const client = async (seed: number): Promise<void> => {
    for (let i = seed; Date.now() < endMs; i++) {
      const [label] = colours[i % 3] as [string, unknown];
      try {
        latenciesMs.push(
          await timedMs(async () => {
            const response = await server.classifier.Predict({
              images: [{ id: `c${seed}-${i}`, data: images[i % 3] }],
            });
            if (response.predictions[0].labels[0] !== label) failures.push(`wrong answer ${i}`);
          }),
        );
      } catch (caught) {
        const error = caught as grpc.ServiceError;
        // Back-pressure is a deliberate answer, not a failure.
        if (error.code === grpc.status.RESOURCE_EXHAUSTED) rejected++;
        else failures.push(`${grpc.status[error.code]}: ${error.details}`);
      }
    }
  };
  let swaps = 0;
  const swapper = async (): Promise<void> => {
    while (Date.now() + SWAP_INTERVAL_MS < endMs) {
      await sleep(SWAP_INTERVAL_MS);
      await server.trainer.ActivateModel({ version: swaps % 2 === 0 ? '2' : '1' });
      swaps++;
    }
  };
  await Promise.all([swapper(), ...Array.from({ length: CLIENTS }, (_, c) => client(c))]);
  const training: { state: string } = await server.trainer.GetJob({ id: jobId });
  await server.trainer.CancelJob({ id: jobId });

  t.log(
    `${latenciesMs.length} calls from ${CLIENTS} clients in ${DURATION_MS / 1000} s: ` +
      describeLatency(latenciesMs),
  );
  t.log(`${swaps} swaps, ${rejected} RESOURCE_EXHAUSTED, ${failures.length} failures`);
  t.deepEqual(failures, []);
  t.true(swaps >= 5);
  t.is(training.state, 'JOB_STATE_RUNNING', 'training ran throughout');
});
