import test from 'ava';

import { InvalidInputError } from '../src/errors/domain-errors.js';
import { classificationReport } from '../src/evaluation/classification-report.js';

// Four images, three labels; label c has no positives and is never predicted.
const PROBABILITIES = Float32Array.from([
  0.9, 0.2, 0.1, 0.6, 0.7, 0.1, 0.3, 0.4, 0.2, 0.1, 0.8, 0.3,
]);
const TARGETS = Uint8Array.from([1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0]);
const THRESHOLDS = Float32Array.from([0.5, 0.5, 0.5]);

const close = (actual: number, expected: number): boolean => Math.abs(actual - expected) < 1e-9;

test('micro, macro and samples averages match a hand computation', (t) => {
  const report = classificationReport(PROBABILITIES, TARGETS, ['a', 'b', 'c'], THRESHOLDS);
  // a and b each have TP 1, FP 1, FN 1; c has none of anything.
  t.true(close(report.f1Micro, 0.5));
  t.true(close(report.precisionMicro, 0.5));
  t.true(close(report.recallMicro, 0.5));
  t.true(close(report.f1Macro, 1 / 3));
  t.true(close(report.precisionMacro, 1 / 3));
  t.true(close(report.recallMacro, 1 / 3));
  // Per image F1: 1, 2/3, 0 (missed both), 0 (one false alarm, nothing true).
  t.true(close(report.f1Samples, 5 / 12));
  t.is(report.images, 4);
});

test('a label without positives or predictions scores 0 and is left out of the mean AP', (t) => {
  const report = classificationReport(PROBABILITIES, TARGETS, ['a', 'b', 'c'], THRESHOLDS);
  t.like(report.labels[2], {
    label: 'c',
    support: 0,
    precision: 0,
    recall: 0,
    f1: 0,
    averagePrecision: 0,
  });
  // AP of a: ranks +,-,+ gives 1/2 * 1 + 1/2 * 2/3;
  // AP of b: ranks -,+,+ gives 1/2 * 1/2 + 1/2 * 2/3.
  t.true(close(report.labels[0]!.averagePrecision, 5 / 6));
  t.true(close(report.labels[1]!.averagePrecision, 7 / 12));
  t.true(close(report.meanAveragePrecision, (5 / 6 + 7 / 12) / 2));
});

test('the per-label table carries support, threshold and the label name in order', (t) => {
  const report = classificationReport(PROBABILITIES, TARGETS, ['a', 'b', 'c'], THRESHOLDS);
  t.deepEqual(
    report.labels.map((entry) => [entry.label, entry.support, entry.threshold]),
    [
      ['a', 2, 0.5],
      ['b', 2, 0.5],
      ['c', 0, 0.5],
    ],
  );
  t.like(report.labels[0], { precision: 0.5, recall: 0.5, f1: 0.5 });
});

test('bce loss is the mean clipped cross-entropy over every entry', (t) => {
  const report = classificationReport(PROBABILITIES, TARGETS, ['a', 'b', 'c'], THRESHOLDS);
  let expected = 0;
  PROBABILITIES.forEach((p, i) => {
    expected -= TARGETS[i] === 1 ? Math.log(p) : Math.log(1 - p);
  });
  t.true(Math.abs(report.bceLoss - expected / 12) < 1e-6);
});

test('a probability of exactly 0 or 1 gives a finite bce loss', (t) => {
  const report = classificationReport(
    Float32Array.from([0, 1]),
    Uint8Array.from([1, 0]),
    ['a', 'b'],
    Float32Array.from([0.5, 0.5]),
  );
  t.true(Number.isFinite(report.bceLoss));
  t.true(report.bceLoss > 15);
});

test('a probability equal to the threshold predicts the label', (t) => {
  const report = classificationReport(
    Float32Array.from([0.3]),
    Uint8Array.from([1]),
    ['a'],
    Float32Array.from([0.3]),
  );
  t.is(report.f1Micro, 1);
});

test('matrices of mismatched shapes are refused', (t) => {
  t.throws(
    () => classificationReport(new Float32Array(6), new Uint8Array(4), ['a', 'b'], THRESHOLDS),
    { instanceOf: InvalidInputError },
  );
  t.throws(
    () => classificationReport(new Float32Array(6), new Uint8Array(6), ['a', 'b'], THRESHOLDS),
    { instanceOf: InvalidInputError, message: /3 thresholds for 2 labels/ },
  );
});

test('an empty set of images is refused', (t) => {
  t.throws(
    () => classificationReport(new Float32Array(0), new Uint8Array(0), ['a'], new Float32Array(1)),
    { instanceOf: InvalidInputError },
  );
});
