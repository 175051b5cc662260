/**
 * Which training images to copy, and how often, to rebalance a data set. Two policies:
 *
 * - cluster balancing (the reference study): images were grouped by appearance, and every group
 *   smaller than the largest is topped up with copies of its own members;
 * - label oversampling, ML-ROS (Charte et al., "Addressing imbalance in multilabel classification:
 *   Measures and random resampling algorithms", Neurocomputing 163, 2015): images carrying a
 *   minority label are cloned until that label is no longer a minority.
 *
 * A plan only names source rows; the augmenter turns each entry into a new augmented image.
 */
import { InvalidInputError } from '../errors/domain-errors.js';
import type { SeededRandom } from '../util/seeded-random.js';

/** One copy to make. */
export interface PlannedCopy {
  /** Index of the source in the array the plan was made from (the training rows). */
  sourceRowIndex: number;
  /** Why it is copied: `cluster-<n>` or the minority label's name, for the job's statistics. */
  group: string;
}

/**
 * Tops up every cluster smaller than the largest to round(targetRatio x largest) images. Copies go
 * round-robin over a shuffled list of the cluster's members (reshuffled each round), so every
 * member is copied about equally often instead of a few being drawn many times.
 *
 * @param assignments cluster index of every training row
 * @param targetRatio wanted size of the small clusters relative to the largest, in (0, 1]
 * @throws InvalidInputError when targetRatio is outside (0, 1] or an assignment is not an index
 */
export function planClusterBalancing(
  assignments: number[],
  targetRatio: number,
  random: SeededRandom,
): PlannedCopy[] {
  if (!(targetRatio > 0 && targetRatio <= 1)) {
    throw new InvalidInputError(`targetRatio must be in (0, 1], got ${targetRatio}`);
  }
  const members = new Map<number, number[]>();
  assignments.forEach((cluster, index) => {
    if (!Number.isInteger(cluster) || cluster < 0) {
      throw new InvalidInputError(`row ${index} has cluster ${cluster}, not a cluster index`);
    }
    const list = members.get(cluster) ?? [];
    list.push(index);
    members.set(cluster, list);
  });
  const largest = Math.max(0, ...[...members.values()].map((list) => list.length));
  const target = Math.round(targetRatio * largest);

  const plan: PlannedCopy[] = [];
  for (const cluster of [...members.keys()].sort((a, b) => a - b)) {
    const own = members.get(cluster) as number[];
    let order: number[] = [];
    for (let size = own.length; size < target; size++) {
      if (order.length === 0) order = random.shuffle([...own]);
      plan.push({ sourceRowIndex: order.pop() as number, group: `cluster-${cluster}` });
    }
  }
  return plan;
}

/** Limits of label oversampling. */
export interface LabelOversamplingOptions {
  /** Most copies to add, as a fraction of the data set (Charte et al.'s P); default 1 (double). */
  maxAddedFraction?: number;
}

/**
 * ML-ROS. IRLbl(l) = (count of the most frequent label) / (count of l); MeanIR is its mean over
 * the labels present. Labels with IRLbl > MeanIR are minority labels, each with a bag of the images
 * carrying it. In rounds, one random image of each remaining bag is cloned; a clone adds to the
 * count of every label of its image (and may raise the maximum). A bag is retired once its label's
 * IRLbl <= MeanIR (MeanIR stays the initial one, as in the paper). It stops when no bag remains or
 * after maxAddedFraction x images clones. Labels no image carries are ignored.
 *
 * @param labelSets label indices of every training image
 * @param labelNames names of the label indices, used as the copies' group
 */
export function planLabelOversampling(
  labelSets: number[][],
  labelNames: string[],
  random: SeededRandom,
  options: LabelOversamplingOptions = {},
): PlannedCopy[] {
  const maxAddedFraction = options.maxAddedFraction ?? 1;
  if (!(maxAddedFraction >= 0)) {
    throw new InvalidInputError(`maxAddedFraction must be >= 0, got ${maxAddedFraction}`);
  }
  const counts = new Array<number>(labelNames.length).fill(0);
  const bags = labelNames.map((): number[] => []);
  labelSets.forEach((labels, index) => {
    for (const label of new Set(labels)) {
      if (!Number.isInteger(label) || label < 0 || label >= labelNames.length) {
        throw new InvalidInputError(`image ${index} has label index ${label}, out of range`);
      }
      (counts[label] as number)++;
      (bags[label] as number[]).push(index);
    }
  });

  const present = counts.flatMap((count, label) => (count > 0 ? [label] : []));
  if (present.length === 0) return [];
  const irLbl = (label: number): number => Math.max(...counts) / (counts[label] as number);
  const meanIr = present.reduce((sum, label) => sum + irLbl(label), 0) / present.length;
  let minority = present.filter((label) => irLbl(label) > meanIr);

  const plan: PlannedCopy[] = [];
  const budget = Math.floor(maxAddedFraction * labelSets.length);
  while (minority.length > 0 && plan.length < budget) {
    for (const label of minority) {
      if (plan.length >= budget) break;
      const bag = bags[label] as number[];
      const source = bag[random.integer(0, bag.length - 1)] as number;
      plan.push({ sourceRowIndex: source, group: labelNames[label] as string });
      for (const carried of new Set(labelSets[source])) (counts[carried] as number)++;
    }
    minority = minority.filter((label) => irLbl(label) > meanIr);
  }
  return plan;
}

/** Mean and largest IRLbl of a labelling, for reports and tests. */
export function imbalanceRatios(
  labelSets: number[][],
  labelCount: number,
): { meanIr: number; maxIr: number } {
  const counts = new Array<number>(labelCount).fill(0);
  for (const labels of labelSets) for (const label of new Set(labels)) (counts[label] as number)++;
  const present = counts.filter((count) => count > 0);
  if (present.length === 0) return { meanIr: 0, maxIr: 0 };
  const most = Math.max(...present);
  const ratios = present.map((count) => most / count);
  return {
    meanIr: ratios.reduce((sum, ratio) => sum + ratio, 0) / ratios.length,
    maxIr: Math.max(...ratios),
  };
}
