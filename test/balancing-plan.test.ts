import test from 'ava';

import {
  imbalanceRatios,
  planClusterBalancing,
  planLabelOversampling,
} from '../src/augmentation/balancing-plan.js';
import { InvalidInputError } from '../src/errors/domain-errors.js';
import { SeededRandom } from '../src/util/seeded-random.js';

function clusterSizesAfter(assignments: number[], targetRatio: number): number[] {
  const plan = planClusterBalancing(assignments, targetRatio, new SeededRandom(1));
  const sizes = [0, 0, 0];
  for (const cluster of assignments) (sizes[cluster] as number)++;
  for (const copy of plan) (sizes[assignments[copy.sourceRowIndex] as number] as number)++;
  return sizes;
}

const UNEVEN = [...Array(50).fill(0), ...Array(10).fill(1), ...Array(3).fill(2)] as number[];

test('cluster balancing fills every smaller cluster up to the largest', (t) => {
  t.deepEqual(clusterSizesAfter(UNEVEN, 1), [50, 50, 50]);
});

test('cluster balancing with a target ratio fills up to that share of the largest', (t) => {
  t.deepEqual(clusterSizesAfter(UNEVEN, 0.5), [50, 25, 25]);
});

test(
  'cluster balancing copies only members of the cluster it fills, ' + 'each about equally often',
  (t) => {
    const plan = planClusterBalancing(UNEVEN, 1, new SeededRandom(3));
    const copiesOf = new Map<number, number>();
    for (const copy of plan) {
      t.is(copy.group, `cluster-${UNEVEN[copy.sourceRowIndex]}`);
      copiesOf.set(copy.sourceRowIndex, (copiesOf.get(copy.sourceRowIndex) ?? 0) + 1);
    }
    // Cluster 2 has 3 members and needs 47 copies: 15 or 16 each.
    for (const index of [60, 61, 62]) t.true([15, 16].includes(copiesOf.get(index) ?? 0));
  },
);

test('cluster balancing is reproducible for a seed', (t) => {
  t.deepEqual(
    planClusterBalancing(UNEVEN, 1, new SeededRandom(5)),
    planClusterBalancing(UNEVEN, 1, new SeededRandom(5)),
  );
});

test('a target ratio outside (0, 1] is an invalid input', (t) => {
  t.throws(() => planClusterBalancing(UNEVEN, 1.5, new SeededRandom(1)), {
    instanceOf: InvalidInputError,
  });
});

// 100 images of label 0, 20 of which also carry 1; 5 carry 2 alone; 2 carry 3 with 0.
const LABEL_SETS: number[][] = [
  ...Array.from({ length: 80 }, () => [0]),
  ...Array.from({ length: 18 }, () => [0, 1]),
  ...Array.from({ length: 2 }, () => [0, 1, 3]),
  ...Array.from({ length: 5 }, () => [2]),
];
const LABEL_NAMES = ['common', 'medium', 'rare', 'rarest'];

test('ML-ROS lowers the largest imbalance ratio', (t) => {
  const plan = planLabelOversampling(LABEL_SETS, LABEL_NAMES, new SeededRandom(1));
  const after = [...LABEL_SETS, ...plan.map((copy) => LABEL_SETS[copy.sourceRowIndex] as number[])];
  const before = imbalanceRatios(LABEL_SETS, 4);
  t.true(plan.length > 0);
  t.true(imbalanceRatios(after, 4).maxIr < before.maxIr);
});

test('ML-ROS clones only images carrying the minority label they are grouped under', (t) => {
  const plan = planLabelOversampling(LABEL_SETS, LABEL_NAMES, new SeededRandom(2));
  for (const copy of plan) {
    const label = LABEL_NAMES.indexOf(copy.group);
    t.true((LABEL_SETS[copy.sourceRowIndex] as number[]).includes(label));
    t.not(copy.group, 'common');
  }
});

test('ML-ROS adds no more than the cap', (t) => {
  const plan = planLabelOversampling(LABEL_SETS, LABEL_NAMES, new SeededRandom(3), {
    maxAddedFraction: 0.1,
  });
  t.true(plan.length <= Math.floor(0.1 * LABEL_SETS.length));
});

test('ML-ROS adds nothing to a balanced labelling', (t) => {
  const balanced = [[0], [1], [0, 1], [2], [2, 0], [1, 2]];
  t.deepEqual(planLabelOversampling(balanced, ['a', 'b', 'c'], new SeededRandom(1)), []);
});
