import test from 'ava';

import { InvalidInputError } from '../src/errors/domain-errors.js';
import { classWeights } from '../src/training/class-weights.js';

test('positives weigh N/(2 n1) and negatives N/(2 n0) per label', (t) => {
  // Four samples, two labels: label 0 has one positive, label 1 has three.
  const targets = Uint8Array.from([1, 1, 0, 1, 0, 1, 0, 0]);
  const { positive, negative } = classWeights(targets, 4, 2);
  t.deepEqual([...positive], [2, 4 / 6].map(Math.fround));
  t.deepEqual([...negative], [4 / 6, 2].map(Math.fround));
});

test('a label that is always or never present gets weight 0 for the missing kind', (t) => {
  const targets = Uint8Array.from([1, 0, 1, 0, 1, 0]);
  const { positive, negative } = classWeights(targets, 3, 2);
  t.deepEqual([...positive], [Math.fround(0.5), 0]);
  t.deepEqual([...negative], [0, Math.fround(0.5)]);
});

test('a target matrix of the wrong size is refused', (t) => {
  t.throws(() => classWeights(new Uint8Array(5), 2, 3), { instanceOf: InvalidInputError });
});
