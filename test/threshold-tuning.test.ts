import test from 'ava';

import { InvalidInputError } from '../src/errors/domain-errors.js';
import { tuneThresholds } from '../src/evaluation/threshold-tuning.js';

test('a separable label gets a threshold between its negative and positive scores', (t) => {
  // Label 0: positives at 0.8, negatives at 0.3. Label 1 has no positives.
  const probabilities = Float32Array.from([0.8, 0.9, 0.8, 0.1, 0.3, 0.5, 0.3, 0.2]);
  const targets = Uint8Array.from([1, 0, 1, 0, 0, 0, 0, 0]);
  const thresholds = tuneThresholds(probabilities, targets, 2);
  t.true(thresholds[0]! > 0.3 && thresholds[0]! <= 0.8, `${thresholds[0]}`);
  // The middle of the perfect run 0.31..0.80 keeps a margin from both classes.
  t.is(thresholds[0], Math.fround(0.55));
});

test('a label without positives keeps the default threshold', (t) => {
  const probabilities = Float32Array.from([0.8, 0.9, 0.3, 0.5]);
  const targets = Uint8Array.from([1, 0, 0, 0]);
  t.is(tuneThresholds(probabilities, targets, 2)[1], Math.fround(0.2));
  t.is(tuneThresholds(probabilities, targets, 2, 0.4)[1], Math.fround(0.4));
});

test('a label whose positives all score below the grid keeps the default threshold', (t) => {
  const probabilities = Float32Array.from([0.01, 0.02, 0.9]);
  const targets = Uint8Array.from([1, 0, 0]);
  t.is(tuneThresholds(probabilities, targets, 1, 0.3)[0], Math.fround(0.3));
});

test('a low threshold wins when catching a rare positive outweighs one false alarm', (t) => {
  // Positives 0.9, 0.6, 0.12; negatives 0.5 and 0.1 (twice).
  // F1 is 4/5 for t in (0.5, 0.6], 2/3 for (0.12, 0.5] and 6/7 for (0.1, 0.12].
  const probabilities = Float32Array.from([0.9, 0.6, 0.12, 0.5, 0.1, 0.1]);
  const targets = Uint8Array.from([1, 1, 1, 0, 0, 0]);
  const threshold = tuneThresholds(probabilities, targets, 1)[0]!;
  t.true(threshold > 0.1 && threshold <= Math.fround(0.12), `${threshold}`);
});

test('a default threshold outside [0, 1] is refused', (t) => {
  t.throws(() => tuneThresholds(new Float32Array(1), new Uint8Array(1), 1, 2), {
    instanceOf: InvalidInputError,
  });
});
