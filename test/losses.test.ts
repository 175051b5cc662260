import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';

import { InvalidInputError } from '../src/errors/domain-errors.js';
import { createLoss, LOSS_NAMES } from '../src/training/losses.js';

const LABELS = [
  [1, 0, 1],
  [0, 1, 0],
];
const LOGITS = [
  [2, -1, -0.5],
  [0.3, 1.5, 3],
];
const WEIGHTS = {
  positive: Float32Array.from([2, 0.5, 1.5]),
  negative: Float32Array.from([0.75, 1, 0.6]),
};

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The mean over all entries of `entry(y, p)`, computed in doubles from probabilities. */
function handMean(entry: (y: number, p: number, label: number) => number): number {
  let total = 0;
  let count = 0;
  LABELS.forEach((row, i) =>
    row.forEach((y, j) => {
      total += entry(y, sigmoid(LOGITS[i]![j]!), j);
      count += 1;
    }),
  );
  return total / count;
}

const HAND_VALUES: Record<(typeof LOSS_NAMES)[number], number> = {
  'weighted-bce': handMean((y, p, j) =>
    y === 1 ? -WEIGHTS.positive[j]! * Math.log(p) : -WEIGHTS.negative[j]! * Math.log(1 - p),
  ),
  bce: handMean((y, p) => (y === 1 ? -Math.log(p) : -Math.log(1 - p))),
  focal: handMean((y, p) =>
    y === 1 ? -0.25 * (1 - p) ** 2 * Math.log(p) : -0.75 * p ** 2 * Math.log(1 - p),
  ),
  asl: handMean((y, p) => {
    if (y === 1) return -Math.log(p);
    const shifted = Math.max(p - 0.05, 0);
    return -(shifted ** 4) * Math.log(1 - shifted);
  }),
};

test.before(async () => {
  await tf.setBackend('cpu');
});

for (const name of LOSS_NAMES) {
  test(`${name} equals its hand-computed value`, (t) => {
    const loss = createLoss(name, WEIGHTS);
    const value = tf.tidy(() => loss(tf.tensor2d(LABELS), tf.tensor2d(LOGITS)).dataSync()[0]!);
    t.true(Math.abs(value - HAND_VALUES[name]) < 1e-5, `${value} vs ${HAND_VALUES[name]}`);
  });

  test(`${name} has the gradient a central finite difference predicts`, (t) => {
    const loss = createLoss(name, WEIGHTS);
    const labels = tf.tensor2d(LABELS);
    const logits = tf.tensor2d(LOGITS);
    const analytic = tf
      .tidy(() => tf.grad((x: tf.Tensor) => loss(labels, x as tf.Tensor2D))(logits))
      .arraySync() as number[][];

    const stepSize = 1e-2;
    const valueAt = (i: number, j: number, delta: number): number => {
      const shifted = LOGITS.map((row, r) =>
        row.map((x, c) => (r === i && c === j ? x + delta : x)),
      );
      return tf.tidy(() => loss(labels, tf.tensor2d(shifted)).dataSync()[0]!);
    };
    for (let i = 0; i < LOGITS.length; i++) {
      for (let j = 0; j < LOGITS[0]!.length; j++) {
        const numeric = (valueAt(i, j, stepSize) - valueAt(i, j, -stepSize)) / (2 * stepSize);
        const gradient = analytic[i]![j]!;
        t.true(Math.abs(gradient - numeric) < 1e-3, `[${i}][${j}] ${gradient} vs ${numeric}`);
      }
    }
    tf.dispose([labels, logits]);
  });

  test(`${name} stays finite and leaks no tensors on extreme logits`, (t) => {
    const loss = createLoss(name, WEIGHTS);
    const labels = tf.tensor2d([[1, 0, 1]]);
    const logits = tf.tensor2d([[-200, 200, 200]]);
    const before = tf.memory().numTensors;
    const result = loss(labels, logits);
    const gradient = tf.grad((x: tf.Tensor) => loss(labels, x as tf.Tensor2D))(logits);
    t.true(Number.isFinite(result.dataSync()[0]!));
    t.true([...gradient.dataSync()].every(Number.isFinite));
    tf.dispose([result, gradient]);
    t.is(tf.memory().numTensors, before);
    tf.dispose([labels, logits]);
  });
}

test('bce of a confident wrong positive grows linearly with the logit', (t) => {
  const loss = createLoss('bce');
  const value = tf.tidy(() => loss(tf.tensor2d([[1]]), tf.tensor2d([[-100]])).dataSync()[0]!);
  t.true(Math.abs(value - 100) < 1e-3);
});

test('asl costs nothing for a negative scored below the probability margin', (t) => {
  const loss = createLoss('asl');
  // sigmoid(-3) is about 0.047, under the 0.05 margin.
  const value = tf.tidy(() => loss(tf.tensor2d([[0]]), tf.tensor2d([[-3]])).dataSync()[0]!);
  t.is(value, 0);
});

test('an unknown loss name is refused with the list of valid names', (t) => {
  const error = t.throws(() => createLoss('hinge'), { instanceOf: InvalidInputError });
  t.regex(error.message, /hinge.*weighted-bce, bce, focal, asl/);
});

test('weighted-bce without class weights is refused', (t) => {
  t.throws(() => createLoss('weighted-bce'), { instanceOf: InvalidInputError });
});

test('weighted-bce refuses class weights for a different label count', (t) => {
  const loss = createLoss('weighted-bce', WEIGHTS);
  t.throws(() => loss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 0]])), {
    instanceOf: InvalidInputError,
  });
});
