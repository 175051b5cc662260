import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// Importing tfjs-layers registers tfjs-core's gradients, and must precede our registration.
import '@tensorflow/tfjs-layers';

import { registerWasmGradientKernels } from '../src/backend/wasm-gradient-kernels.js';
import { SeededRandom } from '../src/util/seeded-random.js';

const coreBatchNormGradient = tf.getGradient(tf.FusedBatchNorm);
const coreMeanGradient = tf.getGradient(tf.Mean);
registerWasmGradientKernels();
const ourBatchNormGradient = tf.getGradient(tf.FusedBatchNorm);
const ourMeanGradient = tf.getGradient(tf.Mean);

const RELATIVE_TOLERANCE = 1e-3;

type Padding = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

interface Sample {
  data: Float32Array;
  shape: number[];
}

function sample(random: SeededRandom, shape: number[]): Sample {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = random.uniform(-1, 1);
  return { data, shape };
}

/** Gradients of `loss` with respect to every input, computed on `backend`. */
async function gradientsOn(
  backend: 'cpu' | 'wasm',
  loss: (...inputs: tf.Tensor[]) => tf.Scalar,
  samples: Sample[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const inputs = samples.map((s) => tf.tensor(s.data, s.shape));
    return tf
      .grads(loss)(inputs)
      .map((g) => g.dataSync() as Float32Array);
  });
}

/** Largest absolute difference, relative to the largest reference magnitude. */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  let worst = 0;
  let scale = 0;
  expected.forEach((value, i) => {
    worst = Math.max(worst, Math.abs((actual[i] ?? NaN) - value));
    scale = Math.max(scale, Math.abs(value));
  });
  return worst / (scale || 1);
}

/** A loss whose gradient differs at every output position, so that misplaced taps show. */
function weightedSum(y: tf.Tensor, seed: number): tf.Scalar {
  return tf.sum(tf.mul(y, tf.randomUniform(y.shape, -1, 1, 'float32', seed)));
}

const convolutionCases: Array<{ x: number[]; filter: number[]; stride: number; pad: Padding }> = [
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 5], stride: 1, pad: 'same' },
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 5], stride: 2, pad: 'same' },
  { x: [3, 10, 12, 4], filter: [3, 3, 4, 6], stride: 2, pad: 'same' },
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 5], stride: 2, pad: 'valid' },
  { x: [2, 10, 11, 4], filter: [3, 2, 4, 5], stride: 1, pad: 'valid' },
  {
    x: [2, 9, 9, 3],
    filter: [3, 3, 3, 5],
    stride: 2,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  {
    x: [2, 7, 7, 2],
    filter: [3, 3, 2, 3],
    stride: 1,
    pad: [
      [0, 0],
      [3, 3],
      [3, 3],
      [0, 0],
    ],
  },
  { x: [2, 8, 8, 3], filter: [5, 5, 3, 2], stride: 1, pad: 'same' },
  // Wider inputs, as in every layer after the first.
  { x: [2, 9, 9, 6], filter: [3, 3, 6, 5], stride: 1, pad: 'same' },
  { x: [3, 10, 12, 8], filter: [3, 3, 8, 6], stride: 2, pad: 'same' },
  { x: [2, 9, 8, 5], filter: [3, 3, 5, 4], stride: 2, pad: 'valid' },
  {
    x: [2, 9, 9, 6],
    filter: [3, 3, 6, 5],
    stride: 2,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  { x: [2, 8, 8, 7], filter: [5, 5, 7, 3], stride: 1, pad: 'same' },
];

for (const [index, c] of convolutionCases.entries()) {
  test.serial(
    `conv2d gradients on wasm match the cpu backend ` +
      `(stride ${c.stride}, ${JSON.stringify(c.pad)}, case ${index})`,
    async (t) => {
      const random = new SeededRandom(100 + index);
      const samples = [sample(random, c.x), sample(random, c.filter)];
      const loss = (x: tf.Tensor, w: tf.Tensor): tf.Scalar =>
        weightedSum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad), index);
      const expected = await gradientsOn('cpu', loss, samples);
      const actual = await gradientsOn('wasm', loss, samples);
      t.true(relativeError(actual[0]!, expected[0]!) < RELATIVE_TOLERANCE, 'input gradient');
      t.true(relativeError(actual[1]!, expected[1]!) < RELATIVE_TOLERANCE, 'filter gradient');
    },
  );
}

const depthwiseCases: Array<{ x: number[]; filter: number[]; stride: number; pad: Padding }> = [
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 1], stride: 1, pad: 'same' },
  { x: [2, 9, 9, 3], filter: [3, 3, 3, 2], stride: 2, pad: 'same' },
  { x: [2, 10, 10, 3], filter: [3, 3, 3, 2], stride: 2, pad: 'valid' },
  {
    x: [2, 10, 9, 3],
    filter: [3, 3, 3, 1],
    stride: 2,
    pad: [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ],
  },
];

for (const [index, c] of depthwiseCases.entries()) {
  test.serial(
    `depthwise conv2d gradients on wasm match the cpu backend ` +
      `(stride ${c.stride}, ${JSON.stringify(c.pad)})`,
    async (t) => {
      const random = new SeededRandom(200 + index);
      const samples = [sample(random, c.x), sample(random, c.filter)];
      const loss = (x: tf.Tensor, w: tf.Tensor): tf.Scalar =>
        weightedSum(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad), index);
      const expected = await gradientsOn('cpu', loss, samples);
      const actual = await gradientsOn('wasm', loss, samples);
      t.true(relativeError(actual[0]!, expected[0]!) < RELATIVE_TOLERANCE, 'input gradient');
      t.true(relativeError(actual[1]!, expected[1]!) < RELATIVE_TOLERANCE, 'filter gradient');
    },
  );
}

for (const [index, shape] of [
  [2, 8, 8, 3],
  [2, 9, 7, 4],
].entries()) {
  test.serial(
    `average pooling gradients on wasm match the cpu backend (input ${shape.join('x')})`,
    async (t) => {
      const samples = [sample(new SeededRandom(300 + index), shape)];
      const loss = (x: tf.Tensor): tf.Scalar =>
        weightedSum(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), index);
      const expected = await gradientsOn('cpu', loss, samples);
      const actual = await gradientsOn('wasm', loss, samples);
      t.true(relativeError(actual[0]!, expected[0]!) < RELATIVE_TOLERANCE);
    },
  );
}

test.serial('sums and means over leading axes on wasm match the cpu backend', async (t) => {
  const random = new SeededRandom(400);
  const input = sample(random, [2, 5, 6, 3]);
  for (const axes of [[0, 1, 2], [0, 1], [1, 2], [0], [3]]) {
    for (const keepDims of [false, true]) {
      const results: Array<{ shape: number[]; data: Float32Array }> = [];
      for (const backend of ['cpu', 'wasm'] as const) {
        await tf.setBackend(backend);
        tf.tidy(() => {
          const x = tf.tensor(input.data, input.shape);
          for (const reduced of [tf.sum(x, axes, keepDims), tf.mean(x, axes, keepDims)]) {
            results.push({ shape: reduced.shape, data: reduced.dataSync() as Float32Array });
          }
        });
      }
      const [cpuSum, cpuMean, wasmSum, wasmMean] = results;
      t.deepEqual(wasmSum!.shape, cpuSum!.shape);
      t.true(relativeError(wasmSum!.data, cpuSum!.data) < RELATIVE_TOLERANCE);
      t.true(relativeError(wasmMean!.data, cpuMean!.data) < RELATIVE_TOLERANCE);
    }
  }
});

test.serial('the batch-norm gradient matches the one tfjs-core ships', async (t) => {
  const random = new SeededRandom(500);
  const samples = [sample(random, [4, 6, 6, 5]), sample(random, [5]), sample(random, [5])];
  const loss = (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor): tf.Scalar => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return weightedSum(tf.batchNorm(x, mean, variance, offset, scale, 1e-3), 7);
  };
  tf.registerGradient(coreBatchNormGradient!);
  const expected = await gradientsOn('cpu', loss, samples);
  tf.registerGradient(ourBatchNormGradient!);
  const actual = await gradientsOn('wasm', loss, samples);
  expected.forEach((reference, i) =>
    t.true(relativeError(actual[i]!, reference) < RELATIVE_TOLERANCE),
  );
});

test.serial('batch normalisation on wasm matches the cpu backend', async (t) => {
  const random = new SeededRandom(550);
  const x = sample(random, [3, 5, 4, 6]);
  const mean = sample(random, [6]);
  const variance = { data: sample(random, [6]).data.map((v) => v + 1.5), shape: [6] };
  const offset = sample(random, [6]);
  const scale = sample(random, [6]);
  const flat = sample(random, [7, 6]);
  const results: Float32Array[] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    await tf.setBackend(backend);
    tf.tidy(() => {
      const [m, v, o, s] = [mean, variance, offset, scale].map((p) => tf.tensor(p.data, p.shape));
      const image = tf.tensor(x.data, x.shape);
      for (const normalised of [
        tf.batchNorm(image, m!, v!, o, s, 1e-3),
        tf.batchNorm(image, m!, v!, undefined, undefined, 1e-3),
        tf.batchNorm(image, m!, v!, o, undefined, 1e-5),
        // A rank-2 input takes the backend's own kernel.
        tf.batchNorm(tf.tensor(flat.data, flat.shape), m!, v!, o, s, 1e-3),
      ]) {
        results.push(normalised.dataSync() as Float32Array);
      }
    });
  }
  const half = results.length / 2;
  for (let i = 0; i < half; i++) {
    t.true(relativeError(results[half + i]!, results[i]!) < RELATIVE_TOLERANCE, `case ${i}`);
  }
});

test.serial('per-channel add, sub and multiply on wasm match the cpu backend', async (t) => {
  const random = new SeededRandom(570);
  // Both are above the size from which the wasm kernels take the depthwise convolution.
  const cases = [
    { full: sample(random, [2, 32, 32, 8]), vectorShape: [1, 1, 1, 8] },
    { full: sample(random, [2, 32, 32, 8]), vectorShape: [8] },
    { full: sample(random, [4096, 5]), vectorShape: [1, 5] },
  ];
  for (const [index, c] of cases.entries()) {
    const vector = sample(random, c.vectorShape);
    const results: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      tf.tidy(() => {
        const full = tf.tensor(c.full.data, c.full.shape);
        const v = tf.tensor(vector.data, vector.shape);
        for (const y of [
          tf.add(full, v),
          tf.add(v, full),
          tf.sub(full, v),
          tf.sub(v, full),
          tf.mul(full, v),
          tf.mul(v, full),
        ]) {
          t.deepEqual(y.shape, c.full.shape);
          results.push(y.dataSync() as Float32Array);
        }
      });
    }
    const half = results.length / 2;
    for (let i = 0; i < half; i++) {
      t.true(relativeError(results[half + i]!, results[i]!) < 1e-6, `case ${index}, op ${i}`);
    }
  }
});

test.serial('the mean gradient matches the one tfjs-core ships', async (t) => {
  const samples = [sample(new SeededRandom(560), [3, 4, 5, 6])];
  for (const axes of [[0, 1, 2], [1, 2], [3], [0, 2]]) {
    const loss = (x: tf.Tensor): tf.Scalar => weightedSum(tf.mean(x, axes), 8);
    tf.registerGradient(coreMeanGradient!);
    const expected = await gradientsOn('cpu', loss, samples);
    tf.registerGradient(ourMeanGradient!);
    const actual = await gradientsOn('wasm', loss, samples);
    t.true(relativeError(actual[0]!, expected[0]!) < RELATIVE_TOLERANCE, `axes ${axes.join(',')}`);
  }
});

test.serial('a cast on wasm to the same type keeps its values, to another converts', async (t) => {
  await tf.setBackend('wasm');
  const original = tf.tensor([1.5, -2.5, 3.25]);
  const same = tf.cast(original, 'float32');
  const whole = tf.cast(original, 'int32');
  original.dispose();
  t.deepEqual(Array.from(same.dataSync()), [1.5, -2.5, 3.25]);
  t.is(whole.dtype, 'int32');
  t.deepEqual(Array.from(whole.dataSync()), [1, -2, 3]);
  tf.dispose([same, whole]);
});

test.serial('a training step on wasm leaves no tensors behind', async (t) => {
  await tf.setBackend('wasm');
  const random = new SeededRandom(600);
  const x = tf.tensor4d(sample(random, [4, 12, 12, 3]).data, [4, 12, 12, 3]);
  const w = tf.variable(tf.tensor4d(sample(random, [3, 3, 3, 4]).data, [3, 3, 3, 4]));
  const depthwise = tf.variable(tf.tensor4d(sample(random, [3, 3, 4, 1]).data, [3, 3, 4, 1]));
  const scale = tf.variable(tf.ones([4]));
  const offset = tf.variable(tf.zeros([4]));
  const optimizer = tf.train.adam(1e-2);
  const step = (): void => {
    const cost = optimizer.minimize(() => {
      const features = tf.relu(tf.conv2d(x, w as tf.Variable<tf.Rank.R4>, 2, 'same'));
      const mixed = tf.depthwiseConv2d(features, depthwise as tf.Variable<tf.Rank.R4>, 1, 'same');
      const { mean, variance } = tf.moments(mixed, [0, 1, 2]);
      // tfjs-core saves the scale for the gradient, so it must be given (clone of undefined).
      const normalised = tf.batchNorm(mixed, mean, variance, offset, scale, 1e-3);
      return tf.mean(tf.square(tf.avgPool(normalised as tf.Tensor4D, 2, 2, 'valid')));
    }, true);
    cost?.dispose();
  };
  step();
  const tensorsBefore = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  t.is(tf.memory().numTensors, tensorsBefore);
  tf.dispose([x, w, depthwise, scale, offset]);
  optimizer.dispose();
});

test.serial('a clone on wasm keeps its values after the original is disposed', async (t) => {
  await tf.setBackend('wasm');
  const original = tf.tensor([1, 2, 3, 4], [2, 2]);
  const copy = tf.clone(original);
  original.dispose();
  t.deepEqual(Array.from(copy.dataSync()), [1, 2, 3, 4]);
  copy.dispose();
});

test.serial('registering twice keeps one set of kernels', (t) => {
  const before = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm');
  registerWasmGradientKernels();
  t.is(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm'), before);
  t.is(tf.getGradient(tf.FusedBatchNorm), ourBatchNormGradient);
  t.is(tf.getGradient(tf.Mean), ourMeanGradient);
});
