/**
 * Training benchmark on real images: the Fashion-MNIST multi-label set (see
 * `fashion-data-set.ts`), trained through the service's own Train, Cluster, Augment and Evaluate
 * jobs, beside the PyTorch peer trained on the same files for the same epochs and threads.
 *
 * Reports, per run: training images/s, wall time, and test-split F1 micro and macro at the
 * default threshold 0.2 and at the thresholds tuned on validation. Runs:
 * - reference-cnn and small-cnn on the original manifest;
 * - small-cnn on the `clusters`-augmented and on the `labels`-augmented manifest.
 * Prints one JSON line.
 *
 *   node dist/bench/train-f1.js [--images 3000] [--epochs 6] [--threads 1] [--no-peer] [--runs a,b]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadConfig } from '../src/config/config.js';
import { labelwiseV1 } from '../src/grpc/proto-definition.js';
import { setLogLevel } from '../src/logging/logger.js';
import { startLabelwiseServer } from '../src/server/labelwise-server.js';
import { buildFashionDataSet } from './fashion-data-set.js';
import { runPeerOnData } from './peer.js';

const BENCH_DATA_DIR = fileURLToPath(new URL('../../bench/data', import.meta.url));

type Client = Record<string, (request: object) => Promise<any>>;

function promisified(client: grpc.Client): Client {
  return new Proxy({} as Client, {
    get: (_target, method: string) => (request: object) =>
      new Promise((resolve, reject) =>
        (client as unknown as Record<string, Function>)[method]!.call(
          client,
          request,
          (error: Error | null, response: unknown) => (error ? reject(error) : resolve(response)),
        ),
      ),
  });
}

async function finished(trainer: Client, job: { id: string }): Promise<any> {
  for (;;) {
    const now = await trainer.GetJob!({ id: job.id });
    if (now.state === 'JOB_STATE_SUCCEEDED') return now;
    if (now.state !== 'JOB_STATE_QUEUED' && now.state !== 'JOB_STATE_RUNNING') {
      throw new Error(`job ${job.id} ended ${now.state}: ${now.message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const round = (value: number): number => Number(value.toFixed(4));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '3000' },
      epochs: { type: 'string', default: '6' },
      'no-peer': { type: 'boolean', default: false },
      threads: { type: 'string', default: '1' },
      runs: { type: 'string', default: 'reference,small,clusters,labels' },
    },
  });
  const imageCount = Number(values.images);
  const epochs = Number(values.epochs);
  const runs = (values.runs ?? '').split(',');
  const threads = Number(values.threads);
  setLogLevel('warn');
  process.env.LABELWISE_LOG_LEVEL = 'warn';

  const setName = `fashion-${imageCount}`;
  await buildFashionDataSet(path.join(BENCH_DATA_DIR, setName), imageCount);
  const homeDir = await mkdtemp(path.join(os.tmpdir(), 'labelwise-train-bench-'));
  const server = await startLabelwiseServer(
    loadConfig(
      [],
      {},
      {
        port: 0,
        metricsPort: 0,
        host: '127.0.0.1',
        homeDir,
        dataDir: BENCH_DATA_DIR,
        backend: 'wasm',
        trainingThreads: threads,
      },
    ),
  );
  const trainer = promisified(
    new labelwiseV1.Trainer(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure()),
  );
  const manifest = `${setName}/manifest.xlsx`;
  const imageDir = `${setName}/images`;
  const results: Record<string, unknown> = {};
  const versions: Record<string, string> = {};

  const trainAndEvaluate = async (name: string, architecture: string, trainManifest: string) => {
    const startMs = Date.now();
    const trained = await finished(
      trainer,
      await trainer.Train!({
        manifest: trainManifest,
        imageDir,
        epochs,
        patience: epochs,
        architecture,
        inputSize: 64,
        batchSize: 32,
      }),
    );
    const wallSeconds = (Date.now() - startMs) / 1000;
    const version = trained.train.modelVersion;
    versions[name] = version;
    const atDefault = (
      await finished(
        trainer,
        await trainer.Evaluate!({ manifest, imageDir, modelVersion: version, threshold: 0.2 }),
      )
    ).evaluate;
    const tuned = (
      await finished(
        trainer,
        await trainer.Evaluate!({ manifest, imageDir, modelVersion: version }),
      )
    ).evaluate;
    results[name] = {
      architecture,
      trainImagesPerSecond: Math.round(trained.train.imagesPerSecond),
      wallSeconds: Math.round(wallSeconds),
      trainImages: trained.train.imagesUsed,
      testF1MicroAt02: round(atDefault.f1Micro),
      testF1MacroAt02: round(atDefault.f1Macro),
      testF1MicroTuned: round(tuned.f1Micro),
      testF1MacroTuned: round(tuned.f1Macro),
      testMeanAveragePrecision: round(tuned.meanAveragePrecision),
      macroF1PerMinute: round(tuned.f1Macro / (wallSeconds / 60)),
    };
  };

  try {
    if (runs.includes('reference'))
      await trainAndEvaluate('reference-cnn', 'reference-cnn', manifest);
    if (runs.includes('small')) await trainAndEvaluate('small-cnn', 'small-cnn', manifest);
    if (runs.includes('clusters')) {
      await finished(
        trainer,
        await trainer.Cluster!({
          manifest,
          imageDir,
          clusters: 5,
          pcaComponents: 50,
          output: `${setName}/clusters.csv`,
          modelVersion: versions['small-cnn'] ?? '',
        }),
      );
      await finished(
        trainer,
        await trainer.Augment!({
          manifest,
          imageDir,
          clusters: `${setName}/clusters.csv`,
          outputManifest: `${setName}/by-clusters.xlsx`,
          outputDir: `${imageDir}/by-clusters`,
          policy: 'clusters',
        }),
      );
      await trainAndEvaluate('small-cnn+clusters', 'small-cnn', `${setName}/by-clusters.xlsx`);
    }
    if (runs.includes('labels')) {
      await finished(
        trainer,
        await trainer.Augment!({
          manifest,
          imageDir,
          outputManifest: `${setName}/by-labels.xlsx`,
          outputDir: `${imageDir}/by-labels`,
          policy: 'labels',
        }),
      );
      await trainAndEvaluate('small-cnn+labels', 'small-cnn', `${setName}/by-labels.xlsx`);
    }
  } finally {
    await server.close();
    await rm(homeDir, { recursive: true, force: true });
  }
  const peer = values['no-peer']
    ? { available: false, reason: '--no-peer' }
    : runPeerOnData(path.join(BENCH_DATA_DIR, setName), {
        architecture: 'small',
        epochs,
        threads,
        size: 64,
        batch: 32,
      });
  process.stdout.write(
    JSON.stringify({ bench: 'train-f1', dataSet: setName, epochs, threads, results, peer }) + '\n',
  );
}

await main();
