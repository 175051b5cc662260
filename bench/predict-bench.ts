/**
 * Predict benchmark: images/s and latency of the serving path on the reference model
 * (reference-cnn, 64x64 input, 29 labels, random weights), beside the PyTorch peer on the same
 * model and thread count. Prints one JSON line.
 *
 * - `modelOnly`: batched model calls on ready tensors, as the peer measures itself.
 * - `inProcess`: the Predictor (decode, batch, score, threshold) without gRPC.
 * - `grpc`: a real server in a child process, called over loopback at concurrency 1, 8 and 32,
 *   one 128x128 JPEG per call; latency percentiles per level and the server's peak RSS.
 *
 * Usage: node dist/bench/predict-bench.js [--seconds 5]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import sharp from 'sharp';
import { selectBackend } from '../src/backend/select-backend.js';
import { labelwiseV1 } from '../src/grpc/proto-definition.js';
import { setLogLevel } from '../src/logging/logger.js';
import { ServiceMetrics } from '../src/metrics/service-metrics.js';
import { buildModel } from '../src/models/architectures.js';
import { InferenceWorker } from '../src/serving/inference-worker.js';
import { ModelRegistry } from '../src/serving/model-registry.js';
import { PredictBatcher } from '../src/serving/predict-batcher.js';
import { Predictor } from '../src/serving/predictor.js';
import { DEFAULT_THRESHOLD } from '../src/store/model-metadata.js';
import { ModelStore } from '../src/store/model-store.js';
import { runPeer } from './peer.js';

const INPUT_SIZE = 64;
const LABELS = 29;
const BATCH = 32;

function percentile(sortedMs: number[], p: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor(p * sortedMs.length))] ?? NaN;
}

async function makeJpegs(count: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      sharp(Buffer.from(Array.from({ length: 128 * 128 * 3 }, (_, j) => (i * 31 + j * 7) % 256)), {
        raw: { width: 128, height: 128, channels: 3 },
      })
        .jpeg()
        .toBuffer(),
    ),
  );
}

async function prepareStore(homeDir: string): Promise<ModelStore> {
  const store = new ModelStore(homeDir);
  await store.init();
  const model = buildModel('reference-cnn', INPUT_SIZE, LABELS, 1);
  const version = await store.saveModel(model, {
    labels: Array.from({ length: LABELS }, (_, i) => `class${i}`),
    inputSize: INPUT_SIZE,
    normalization: 'scale-0-1',
    threshold: DEFAULT_THRESHOLD,
    labelThresholds: {},
    metrics: {},
    architecture: 'reference-cnn',
    createdAt: new Date().toISOString(),
    jobId: '',
    parentVersion: '',
    format: 'layers',
  });
  model.dispose();
  await store.setActiveVersion(version);
  return store;
}

async function measureModelOnly(store: ModelStore, seconds: number): Promise<number> {
  const metrics = new ServiceMetrics();
  const inference = new InferenceWorker({ homeDir: store.homeDir, backend: 'wasm' });
  const registry = new ModelRegistry(store, inference, metrics);
  await registry.start(0);
  const model = await registry.acquire();
  const inputs = new Float32Array(BATCH * model.inputLength).map(() => Math.random());
  let images = 0;
  const startMs = performance.now();
  while (performance.now() - startMs < seconds * 1000) {
    await model.score(inputs.slice(), BATCH);
    images += BATCH;
  }
  const rate = images / ((performance.now() - startMs) / 1000);
  model.release();
  await registry.close();
  await inference.close();
  return rate;
}

async function measureInProcess(store: ModelStore, jpegs: Buffer[], seconds: number) {
  const metrics = new ServiceMetrics();
  const inference = new InferenceWorker({ homeDir: store.homeDir, backend: 'wasm' });
  const registry = new ModelRegistry(store, inference, metrics);
  await registry.start(0);
  const batcher = new PredictBatcher(
    { maxBatchSize: BATCH, maxQueueDelayMs: 2, maxQueueDepth: 4096 },
    metrics,
  );
  const predictor = new Predictor(
    registry,
    batcher,
    { maxImagesPerRequest: 256, maxImagePixels: 50_000_000 },
    metrics,
  );
  const images = jpegs.map((data, i) => ({ id: String(i), data }));
  let done = 0;
  const startMs = performance.now();
  while (performance.now() - startMs < seconds * 1000) {
    await predictor.predict({ images: images.slice(0, BATCH), modelVersion: '' });
    done += BATCH;
  }
  await registry.close();
  await inference.close();
  return { imagesPerSecond: done / ((performance.now() - startMs) / 1000), imagesPerCall: BATCH };
}

async function startServerProcess(
  homeDir: string,
): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const entry = new URL('../src/cli/main.js', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [entry, 'serve', '--port', '0', '--metrics-port', '0', '--host', '127.0.0.1'],
    {
      env: {
        ...process.env,
        LABELWISE_HOME: homeDir,
        LABELWISE_BACKEND: 'wasm',
        LABELWISE_DATA_DIR: path.join(homeDir, 'data'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stderr.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /"event":"labelwise serving","grpcPort":(\d+)/.exec(buffered);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${buffered}`)));
  });
  return {
    port,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function peakRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function measureGrpc(address: string, jpegs: Buffer[], concurrency: number, seconds: number) {
  const client = new labelwiseV1.Classifier(address, grpc.credentials.createInsecure());
  const predict = (data: Buffer): Promise<void> =>
    new Promise((resolve, reject) =>
      (client as unknown as { Predict: Function }).Predict(
        { images: [{ id: 'x', data }] },
        (error: Error | null) => (error ? reject(error) : resolve()),
      ),
    );
  // Warm the connection and the server's first batch.
  await predict(jpegs[0] as Buffer);
  const latenciesMs: number[] = [];
  let failures = 0;
  const endMs = performance.now() + seconds * 1000;
  const startMs = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = worker; performance.now() < endMs; i += concurrency) {
        const callStartMs = performance.now();
        try {
          await predict(jpegs[i % jpegs.length] as Buffer);
          latenciesMs.push(performance.now() - callStartMs);
        } catch {
          failures++;
        }
      }
    }),
  );
  const elapsedSeconds = (performance.now() - startMs) / 1000;
  client.close();
  latenciesMs.sort((a, b) => a - b);
  return {
    concurrency,
    imagesPerSecond: Math.round(latenciesMs.length / elapsedSeconds),
    p50Ms: Number(percentile(latenciesMs, 0.5).toFixed(2)),
    p99Ms: Number(percentile(latenciesMs, 0.99).toFixed(2)),
    failures,
  };
}

async function main(seconds: number): Promise<void> {
  setLogLevel('warn');
  const backend = await selectBackend('wasm');
  const homeDir = await mkdtemp(path.join(os.tmpdir(), 'labelwise-bench-'));
  try {
    const store = await prepareStore(homeDir);
    const jpegs = await makeJpegs(64);
    const modelOnly = await measureModelOnly(store, seconds);
    const inProcess = await measureInProcess(store, jpegs, seconds);
    const server = await startServerProcess(homeDir);
    const overGrpc = [];
    for (const concurrency of [1, 8, 32]) {
      overGrpc.push(await measureGrpc(`127.0.0.1:${server.port}`, jpegs, concurrency, seconds));
    }
    const serverPeakRssBytes = await peakRssBytes(server.pid);
    await server.stop();
    const peer = runPeer('small', { size: INPUT_SIZE, batch: BATCH, threads: 1 });
    const best = Math.max(...overGrpc.map((r) => r.imagesPerSecond));
    process.stdout.write(
      JSON.stringify({
        bench: 'predict',
        model: 'reference-cnn',
        inputSize: INPUT_SIZE,
        labels: LABELS,
        backend,
        threads: 1,
        modelOnlyImagesPerSecond: Math.round(modelOnly),
        inProcess: { ...inProcess, imagesPerSecond: Math.round(inProcess.imagesPerSecond) },
        grpc: overGrpc,
        serverPeakRssBytes,
        peer,
        ratioModelOnlyToPeer: peer.available
          ? Number((modelOnly / peer.inferImagesPerSecond).toFixed(2))
          : null,
        ratioGrpcBestToPeer: peer.available
          ? Number((best / peer.inferImagesPerSecond).toFixed(2))
          : null,
      }) + '\n',
    );
  } finally {
    await rm(homeDir, { recursive: true, force: true });
  }
}

const secondsFlag = process.argv.indexOf('--seconds');
await main(secondsFlag > 0 ? Number(process.argv[secondsFlag + 1]) : 5);
