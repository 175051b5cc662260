import test from 'ava';

import { stratifiedSplit } from '../src/data/stratified-split.js';
import { InvalidInputError } from '../src/errors/domain-errors.js';
import { SeededRandom } from '../src/util/seeded-random.js';

const LABEL_COUNT = 29;

/**
 * A long-tailed data set: label k is present with probability 0.3 / (k + 1)^1.5, plus rare
 * pairs.
 */
function imbalancedLabelSets(sampleCount: number, seed: number): number[][] {
  const random = new SeededRandom(seed);
  const sets = Array.from({ length: sampleCount }, () => {
    const labels: number[] = [];
    for (let label = 0; label < LABEL_COUNT - 3; label++) {
      if (random.chance(0.3 / (label + 1) ** 1.5)) labels.push(label);
    }
    return labels;
  });
  // Labels with exactly two, three and four positives, sharing samples with common labels.
  [26, 27, 28].forEach((label, k) => {
    for (let i = 0; i < k + 2; i++) sets[(label * 37 + i * 11) % sampleCount]!.push(label);
  });
  return sets;
}

function positivesBySide(labelSets: number[][], indices: number[]): Int32Array {
  const counts = new Int32Array(LABEL_COUNT);
  for (const sample of indices) for (const label of labelSets[sample]!) counts[label]! += 1;
  return counts;
}

test('every label with at least two positives lands on both sides', (t) => {
  for (const [fraction, seed] of [
    [0.1, 1],
    [0.2, 2],
    [0.5, 3],
    [0.05, 4],
  ] as const) {
    const labelSets = imbalancedLabelSets(1500, seed);
    const { train, validation } = stratifiedSplit(labelSets, LABEL_COUNT, fraction, seed);
    const total = positivesBySide(labelSets, [...train, ...validation]);
    const inTrain = positivesBySide(labelSets, train);
    const inValidation = positivesBySide(labelSets, validation);
    for (let label = 0; label < LABEL_COUNT; label++) {
      if (total[label]! < 2) continue;
      t.true(
        inTrain[label]! > 0 && inValidation[label]! > 0,
        `label ${label}, fraction ${fraction}`,
      );
    }
  }
});

test('every sample is on exactly one side', (t) => {
  const labelSets = imbalancedLabelSets(700, 5);
  const { train, validation } = stratifiedSplit(labelSets, LABEL_COUNT, 0.2, 5);
  t.deepEqual(
    [...train, ...validation].sort((a, b) => a - b),
    labelSets.map((_, i) => i),
  );
});

test('the same seed gives the same split and another seed a different one', (t) => {
  const labelSets = imbalancedLabelSets(1000, 6);
  const first = stratifiedSplit(labelSets, LABEL_COUNT, 0.2, 42);
  t.deepEqual(stratifiedSplit(labelSets, LABEL_COUNT, 0.2, 42), first);
  t.notDeepEqual(stratifiedSplit(labelSets, LABEL_COUNT, 0.2, 43), first);
});

test('the validation side holds the requested fraction of samples and of common labels', (t) => {
  const labelSets = imbalancedLabelSets(4000, 7);
  const { validation } = stratifiedSplit(labelSets, LABEL_COUNT, 0.2, 7);
  t.true(Math.abs(validation.length - 800) <= 8, `${validation.length}`);

  const total = positivesBySide(
    labelSets,
    labelSets.map((_, i) => i),
  );
  const inValidation = positivesBySide(labelSets, validation);
  for (let label = 0; label < LABEL_COUNT; label++) {
    if (total[label]! < 50) continue;
    t.true(Math.abs(inValidation[label]! - 0.2 * total[label]!) <= 2, `label ${label}`);
  }
});

test('samples without labels are split by size alone', (t) => {
  const labelSets = Array.from({ length: 100 }, () => [] as number[]);
  const { train, validation } = stratifiedSplit(labelSets, 3, 0.3, 1);
  t.is(validation.length, 30);
  t.is(train.length, 70);
});

test('a label with two positives among few samples still gets one on each side', (t) => {
  const labelSets = [[0], [0], [1], [1], [1], [1], [1], [1], [1], [1]];
  const { train, validation } = stratifiedSplit(labelSets, 2, 0.1, 9);
  t.is(validation.filter((sample) => labelSets[sample]![0] === 0).length, 1);
  t.is(train.filter((sample) => labelSets[sample]![0] === 0).length, 1);
});

test('a fraction outside (0, 1) or a label index out of range is refused', (t) => {
  t.throws(() => stratifiedSplit([[0]], 1, 0, 1), { instanceOf: InvalidInputError });
  t.throws(() => stratifiedSplit([[0]], 1, 1, 1), { instanceOf: InvalidInputError });
  t.throws(() => stratifiedSplit([[0], [3]], 2, 0.5, 1), {
    instanceOf: InvalidInputError,
    message: /sample 1 has label index 3/,
  });
});
