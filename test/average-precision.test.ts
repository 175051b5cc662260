import test from 'ava';

import { averagePrecision } from '../src/evaluation/average-precision.js';
import { sortedLabelScores } from '../src/evaluation/sorted-label-scores.js';

function apOf(scores: number[], targets: number[]): number {
  return averagePrecision(
    sortedLabelScores(Float32Array.from(scores), Uint8Array.from(targets), 1, 0),
  );
}

test('average precision matches the scikit-learn documentation example', (t) => {
  // sklearn.metrics.average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.8333...
  t.true(Math.abs(apOf([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) - 5 / 6) < 1e-9);
});

test('tied scores count as one step rather than in an arbitrary order', (t) => {
  // One positive tied with one negative at the top: precision 1/2 at recall 1.
  t.is(apOf([0.5, 0.5, 0.2], [1, 0, 0]), 0.5);
  t.is(apOf([0.5, 0.5, 0.2], [0, 1, 0]), 0.5);
});

test('a perfect ranking has average precision 1', (t) => {
  t.is(apOf([0.9, 0.8, 0.1, 0.05], [1, 1, 0, 0]), 1);
});

test('a label without positives has average precision 0', (t) => {
  t.is(apOf([0.9, 0.1], [0, 0]), 0);
});

test('a NaN score ranks last instead of breaking the ranking', (t) => {
  t.true(Math.abs(apOf([Number.NaN, 0.9, 0.2], [1, 1, 0]) - (1 + 2 / 3) / 2) < 1e-9);
});
