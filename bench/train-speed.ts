/**
 * Training and inference speed of each architecture on the wasm backend, beside the PyTorch peer.
 *
 *   node dist/bench/train-speed.js [--arch small-cnn,reference-cnn,seed-cnn] [--threads 1]
 *                                  [--profile] [--no-peer] [--seconds 8]
 *
 * Random data: batch 32, 64x64 RGB in [0, 1], 29 labels about 20% positive. A training step is a
 * forward pass, weighted binary cross-entropy on logits, the backward pass and an Adam update.
 * Each architecture runs in its own child process so that its peak RSS is its own. Prints one
 * JSON line; `--profile` also prints per-kernel tables of one training step on stderr.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { registerWasmGradientKernels } from '../src/backend/wasm-gradient-kernels.js';
import { buildModel } from '../src/models/architectures.js';
import { formatKernelTable, profileKernels } from './kernel-profile.js';
import { runPeer, type PeerArchitecture, type PeerResult } from './peer.js';
import { useWasmThreads } from './wasm-threads.js';

const IMAGE_SIZE_PX = 64;
const BATCH_SIZE = 32;
const LABEL_COUNT = 29;
const POSITIVE_RATE = 0.2;
const WARMUP_STEPS = 2;
const MIN_MEASURED_STEPS = 3;

/** The PyTorch architecture each of ours mirrors; small-cnn has no peer of its own. */
const PEER_OF: Record<string, PeerArchitecture> = {
  'reference-cnn': 'small',
  'seed-cnn': 'seed',
};

interface Options {
  architectures: string[];
  threads: number;
  profile: boolean;
  peer: boolean;
  measureSeconds: number;
  child: boolean;
}

interface ArchitectureResult {
  architecture: string;
  parameterCount: number;
  trainImagesPerSecond: number;
  trainImagesPerCpuSecond: number;
  inferImagesPerSecond: number;
  inferImagesPerCpuSecond: number;
  peakRssBytes: number;
  tensorsPerStepStable: boolean;
  threads: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    architectures: ['reference-cnn', 'seed-cnn', 'small-cnn'],
    threads: 1,
    profile: false,
    peer: true,
    measureSeconds: 8,
    child: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1] ?? '';
    if (flag === '--arch') options.architectures = value.split(',').filter(Boolean);
    else if (flag === '--threads') options.threads = Number(value);
    else if (flag === '--seconds') options.measureSeconds = Number(value);
    else if (flag === '--profile') options.profile = true;
    else if (flag === '--no-peer') options.peer = false;
    else if (flag === '--child') options.child = true;
    else continue;
    if (flag !== '--profile' && flag !== '--no-peer' && flag !== '--child') i++;
  }
  return options;
}

/** Deterministic uniform noise, so that runs compare like with like. */
function noise(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, 0, 1, 'float32', seed);
}

/** Per-element weights of the class-balanced BCE: N/(2*n1) on positives, N/(2*n0) on negatives. */
function balancedWeights(labels: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const positives = tf.sum(labels, 0);
    const negatives = tf.sub(BATCH_SIZE, positives);
    const positiveWeight = tf.div(BATCH_SIZE, tf.mul(2, tf.maximum(positives, 1)));
    const negativeWeight = tf.div(BATCH_SIZE, tf.mul(2, tf.maximum(negatives, 1)));
    return tf.add(
      tf.mul(labels, positiveWeight),
      tf.mul(tf.sub(1, labels), negativeWeight),
    ) as tf.Tensor2D;
  });
}

function makeTrainStep(
  model: LayersModel,
  images: tf.Tensor4D,
  labels: tf.Tensor2D,
  weights: tf.Tensor2D,
): () => void {
  const optimizer = tf.train.adam(1e-3);
  return () => {
    const cost = optimizer.minimize(() => {
      const logits = model.apply(images, { training: true }) as tf.Tensor2D;
      return tf.losses.sigmoidCrossEntropy(labels, logits, weights);
    }, true);
    // Reading the loss waits for the step, as a training loop logging it would.
    cost?.dataSync();
    cost?.dispose();
  };
}

/** Throughput by wall-clock time and by this process's CPU time (robust to a busy machine). */
interface Throughput {
  imagesPerSecond: number;
  imagesPerCpuSecond: number;
}

function throughput(run: () => void, measureSeconds: number): Throughput {
  const startMs = performance.now();
  const startCpu = process.cpuUsage();
  let steps = 0;
  while (steps < MIN_MEASURED_STEPS || performance.now() - startMs < measureSeconds * 1000) {
    run();
    steps++;
  }
  const wallMs = performance.now() - startMs;
  const cpu = process.cpuUsage(startCpu);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const images = steps * BATCH_SIZE;
  return {
    imagesPerSecond: round((images * 1000) / wallMs),
    imagesPerCpuSecond: round((images * 1000) / cpuMs),
  };
}

async function measureArchitecture(
  architecture: string,
  options: Options,
): Promise<ArchitectureResult> {
  const model = buildModel(architecture, IMAGE_SIZE_PX, LABEL_COUNT, 1);
  const images = noise([BATCH_SIZE, IMAGE_SIZE_PX, IMAGE_SIZE_PX, 3], 2) as tf.Tensor4D;
  const labels = tf.tidy(() =>
    tf.cast(tf.less(noise([BATCH_SIZE, LABEL_COUNT], 3), POSITIVE_RATE), 'float32'),
  ) as tf.Tensor2D;
  const weights = balancedWeights(labels);
  const trainStep = makeTrainStep(model, images, labels, weights);

  for (let i = 0; i < WARMUP_STEPS; i++) trainStep();
  const tensorsBefore = tf.memory().numTensors;
  if (options.profile) {
    const times = await profileKernels(trainStep);
    process.stderr.write(formatKernelTable(times, `${architecture} training step`) + '\n\n');
  }
  const train = throughput(trainStep, options.measureSeconds);
  const tensorsAfter = tf.memory().numTensors;

  const infer = (): void => {
    tf.tidy(() => tf.sigmoid(model.predict(images) as tf.Tensor).dataSync());
  };
  infer();
  const inference = throughput(infer, options.measureSeconds / 2);

  return {
    architecture,
    parameterCount: model.countParams(),
    trainImagesPerSecond: train.imagesPerSecond,
    trainImagesPerCpuSecond: train.imagesPerCpuSecond,
    inferImagesPerSecond: inference.imagesPerSecond,
    inferImagesPerCpuSecond: inference.imagesPerCpuSecond,
    // Node reports maxRSS in kibibytes.
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    tensorsPerStepStable: tensorsBefore === tensorsAfter,
    threads: options.threads,
  };
}

async function runChild(options: Options): Promise<void> {
  const threads = await useWasmThreads(options.threads);
  registerWasmGradientKernels();
  await tf.setBackend('wasm');
  await tf.ready();
  const architecture = options.architectures[0] ?? 'reference-cnn';
  const result = await measureArchitecture(architecture, { ...options, threads });
  process.stdout.write(JSON.stringify(result) + '\n');
}

function runInChild(
  architecture: string,
  options: Options,
): ArchitectureResult | { error: string } {
  const args = [
    fileURLToPath(import.meta.url),
    '--child',
    '--arch',
    architecture,
    '--threads',
    String(options.threads),
    '--seconds',
    String(options.measureSeconds),
    ...(options.profile ? ['--profile'] : []),
  ];
  const child = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lastLine = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(lastLine) as ArchitectureResult;
  } catch {
    return { error: `child exited ${child.status ?? child.signal}` };
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.child) {
    await runChild(options);
    return;
  }
  const loadAverageBefore = os.loadavg().map(round);
  const results: Record<string, unknown> = {};
  const peers = new Map<PeerArchitecture, PeerResult>();
  for (const architecture of options.architectures) {
    const ours = runInChild(architecture, options);
    const peerArchitecture = PEER_OF[architecture];
    let peer: PeerResult | undefined;
    if (options.peer && peerArchitecture !== undefined) {
      peer =
        peers.get(peerArchitecture) ??
        runPeer(peerArchitecture, {
          size: IMAGE_SIZE_PX,
          batch: BATCH_SIZE,
          threads: options.threads,
        });
      peers.set(peerArchitecture, peer);
    }
    results[architecture] = { ...ours, peer: describePeer(ours, peer) };
  }
  // A busy machine slows both engines; the load average says how much to trust the ratios.
  const loadAverage = os.loadavg().map(round);
  const summary = {
    size: IMAGE_SIZE_PX,
    batch: BATCH_SIZE,
    labels: LABEL_COUNT,
    loadAverageBefore,
    loadAverage,
    results,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
}

function describePeer(
  ours: ArchitectureResult | { error: string },
  peer: PeerResult | undefined,
): unknown {
  if (peer === undefined) return null;
  if (!peer.available) return `peer unavailable: ${peer.reason}`;
  if ('error' in ours) return peer;
  return {
    engine: peer.engine,
    trainImagesPerSecond: peer.trainImagesPerSecond,
    inferImagesPerSecond: peer.inferImagesPerSecond,
    trainRatio: Number((ours.trainImagesPerSecond / peer.trainImagesPerSecond).toFixed(3)),
    inferRatio: Number((ours.inferImagesPerSecond / peer.inferImagesPerSecond).toFixed(3)),
  };
}

await main();
