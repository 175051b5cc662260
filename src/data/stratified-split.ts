/**
 * Two-way iterative stratification for multi-label data (Sechidis, Tsoumakas and Vlahavas, "On the
 * Stratification of Multi-Label Data", ECML PKDD 2011, algorithm 1): the rarest label is
 * distributed first, so rare labels end up split in proportion instead of being swamped by the
 * common ones, as happens with a random split.
 *
 * Two changes to the paper's algorithm, both for labels with few positives: a label with at least
 * two positives wants at least one on each side (its desired counts are raised to 1), and a final
 * repair pass moves one sample across for any such label that still ended up on one side only.
 * Doing this for every label is not always possible (three samples and three labels pairing them
 * up cannot be two-coloured), so the repair moves only samples whose other labels keep a positive
 * on the side they leave.
 */
import { InvalidInputError } from '../errors/domain-errors.js';
import { SeededRandom } from '../util/seeded-random.js';

/** Sample indices of each side of a split, ascending. */
export interface SplitIndices {
  train: number[];
  validation: number[];
}

const TRAIN = 0;
const VALIDATION = 1;
type Side = typeof TRAIN | typeof VALIDATION;

/**
 * Splits samples into train and validation so that each label's positives are divided close to
 * `validationFraction` : 1 - `validationFraction`, and every label with at least two positives has
 * positives on both sides whenever the repair pass can achieve it. Reproducible for a given `seed`.
 *
 * @param labelSets the label indices of each sample (0 <= index < `labelCount`); an empty set is
 *   a sample without labels, which only balances the sizes.
 * @param validationFraction share of samples for validation, strictly between 0 and 1.
 */
export function stratifiedSplit(
  labelSets: readonly (readonly number[])[],
  labelCount: number,
  validationFraction: number,
  seed: number,
): SplitIndices {
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new InvalidInputError(`validation fraction ${validationFraction} is not between 0 and 1`);
  }
  const sampleLabels = labelSets.map((labels, sample) => uniqueLabels(labels, labelCount, sample));
  const random = new SeededRandom(seed);
  const sampleCount = sampleLabels.length;

  // Visiting samples in a seeded random order keeps the file order from deciding the split.
  const order = random.shuffle(Array.from({ length: sampleCount }, (_, i) => i));
  const samplesOfLabel: number[][] = Array.from({ length: labelCount }, () => []);
  for (const sample of order) {
    for (const label of sampleLabels[sample]!) samplesOfLabel[label]!.push(sample);
  }

  const fractions = [1 - validationFraction, validationFraction];
  const desiredSize = fractions.map((fraction) => sampleCount * fraction);
  const desiredOfLabel = samplesOfLabel.map((samples) =>
    desiredLabelCounts(samples.length, validationFraction),
  );
  const remainingOfLabel = samplesOfLabel.map((samples) => samples.length);
  const side = new Int8Array(sampleCount).fill(-1);

  const assign = (sample: number, to: Side): void => {
    side[sample] = to;
    desiredSize[to]! -= 1;
    for (const label of sampleLabels[sample]!) {
      desiredOfLabel[label]![to]! -= 1;
      remainingOfLabel[label]! -= 1;
    }
  };

  for (;;) {
    const label = rarestRemainingLabel(remainingOfLabel, random);
    if (label === undefined) break;
    for (const sample of samplesOfLabel[label]!) {
      if (side[sample] !== -1) continue;
      const desired = desiredOfLabel[label]!;
      assign(sample, pickSide(desired[TRAIN]!, desired[VALIDATION]!, desiredSize, random));
    }
  }
  for (const sample of order) {
    if (side[sample] === -1) assign(sample, pickSide(0, 0, desiredSize, random));
  }

  repairOneSidedLabels(sampleLabels, samplesOfLabel, side, labelCount, random);

  const train: number[] = [];
  const validation: number[] = [];
  side.forEach((to, sample) => (to === VALIDATION ? validation : train).push(sample));
  return { train, validation };
}

function uniqueLabels(labels: readonly number[], labelCount: number, sample: number): number[] {
  for (const label of labels) {
    if (!Number.isInteger(label) || label < 0 || label >= labelCount) {
      throw new InvalidInputError(
        `sample ${sample} has label index ${label}, outside 0..${labelCount - 1}`,
      );
    }
  }
  return [...new Set(labels)];
}

/** Desired positives of a label on [train, validation], at least 1 each when it has two. */
function desiredLabelCounts(positives: number, validationFraction: number): number[] {
  let validation = positives * validationFraction;
  if (positives >= 2) validation = Math.min(Math.max(validation, 1), positives - 1);
  return [positives - validation, validation];
}

/** The label with the fewest unassigned samples (at least one), ties broken at random. */
function rarestRemainingLabel(remaining: number[], random: SeededRandom): number | undefined {
  let rarest: number | undefined;
  let ties = 0;
  remaining.forEach((count, label) => {
    if (count === 0) return;
    const best = rarest === undefined ? Infinity : remaining[rarest]!;
    if (count < best) {
      rarest = label;
      ties = 1;
    } else if (count === best && random.next() * ++ties < 1) {
      rarest = label;
    }
  });
  return rarest;
}

/** The side that wants this label more, then the side that wants more samples, then a coin. */
function pickSide(
  trainWants: number,
  validationWants: number,
  desiredSize: number[],
  random: SeededRandom,
): Side {
  if (trainWants !== validationWants) return trainWants > validationWants ? TRAIN : VALIDATION;
  const [train, validation] = desiredSize as [number, number];
  if (train !== validation) return train > validation ? TRAIN : VALIDATION;
  return random.chance(0.5) ? TRAIN : VALIDATION;
}

/**
 * Moves one sample across for each label with two or more positives that sits on one side only,
 * choosing among samples whose every label keeps a positive on the side it leaves.
 */
function repairOneSidedLabels(
  sampleLabels: readonly number[][],
  samplesOfLabel: readonly number[][],
  side: Int8Array,
  labelCount: number,
  random: SeededRandom,
): void {
  const countOn = [new Int32Array(labelCount), new Int32Array(labelCount)] as const;
  side.forEach((to, sample) => {
    for (const label of sampleLabels[sample]!) countOn[to as Side][label]! += 1;
  });

  for (let label = 0; label < labelCount; label++) {
    if (samplesOfLabel[label]!.length < 2) continue;
    const empty: Side | undefined =
      countOn[TRAIN][label] === 0
        ? TRAIN
        : countOn[VALIDATION][label] === 0
          ? VALIDATION
          : undefined;
    if (empty === undefined) continue;
    const from: Side = empty === TRAIN ? VALIDATION : TRAIN;

    const movable = samplesOfLabel[label]!.filter((sample) =>
      sampleLabels[sample]!.every((other) => countOn[from][other]! >= 2),
    );
    if (movable.length === 0) continue;
    // Fewer labels means fewer other labels' proportions disturbed by the move.
    const fewest = Math.min(...movable.map((sample) => sampleLabels[sample]!.length));
    const candidates = movable.filter((sample) => sampleLabels[sample]!.length === fewest);
    const moved = candidates[random.integer(0, candidates.length - 1)]!;
    side[moved] = empty;
    for (const other of sampleLabels[moved]!) {
      countOn[from][other]! -= 1;
      countOn[empty][other]! += 1;
    }
  }
}
