/**
 * The augmentation pipeline of the reference study, rebuilt on sharp and our own warps:
 *
 *     Fliplr(0.7), then SomeOf((0, 5), [OneOf([AverageBlur, MedianBlur, GaussianBlur]),
 *       PerspectiveTransform, ElasticTransformation, CropAndPad, Cutout], random_order=True)
 *
 * The three blurs are grouped into one choice because stacking several blurs mostly produces mush;
 * that leaves five groups, so "0 to 5 of them" ranges from none to all, in a random order.
 */
import type { SeededRandom } from '../util/seeded-random.js';
import { averageBlur, gaussianBlur, medianBlur } from './blur.js';
import { cropAndPad } from './crop-and-pad.js';
import { cutout } from './cutout.js';
import { intensityStats, isDegenerate } from './degenerate-check.js';
import { elasticTransform } from './elastic.js';
import { horizontalFlip } from './flip.js';
import { perspectiveTransform } from './perspective.js';
import type { AugmentOperation, RawImage } from './raw-image.js';

/** Probability that the image is mirrored. */
export const FLIP_PROBABILITY = 0.7;
/** Redraws of a collapsed result before falling back to a plain flip. */
export const DEFAULT_MAX_REDRAWS = 5;

/** One of the three blurs, chosen with equal chance. */
export const anyBlur: AugmentOperation = async (image, random) => {
  const blurs = [averageBlur, medianBlur, gaussianBlur];
  const blur = blurs[random.integer(0, blurs.length - 1)] as AugmentOperation;
  return blur(image, random);
};

/** The operation groups `SomeOf` draws from. */
export const SOME_OF_OPERATIONS: readonly AugmentOperation[] = [
  anyBlur,
  perspectiveTransform,
  elasticTransform,
  cropAndPad,
  cutout,
];

/** Knobs for tests and experiments; the defaults are the reference pipeline. */
export interface AugmentOptions {
  /** Operations `SomeOf` draws 0 to all of. */
  operations?: readonly AugmentOperation[];
  /** Redraws allowed before the plain-flip fallback. */
  maxRedraws?: number;
}

/** An augmented image and how many draws were thrown away as degenerate. */
export interface AugmentResult {
  image: RawImage;
  /** Draws discarded as degenerate; maxRedraws + 1 means the plain-flip fallback was returned. */
  redraws: number;
}

/**
 * Augments `image`: flips it with probability 0.7, then applies 0 to 5 of the operation groups in
 * random order. A result that collapsed (see `isDegenerate`) is drawn again, up to `maxRedraws`
 * times; after that the plain flip is returned, which can never collapse. Same image, same
 * generator state, same result. As in the reference, about 5% of draws (no flip, no operation)
 * return the source unchanged.
 */
export async function augmentImage(
  image: RawImage,
  random: SeededRandom,
  options: AugmentOptions = {},
): Promise<AugmentResult> {
  const operations = options.operations ?? SOME_OF_OPERATIONS;
  const maxRedraws = options.maxRedraws ?? DEFAULT_MAX_REDRAWS;
  const source = intensityStats(image);

  for (let redraws = 0; redraws <= maxRedraws; redraws++) {
    let current = random.chance(FLIP_PROBABILITY) ? await horizontalFlip(image) : image;
    const count = random.integer(0, operations.length);
    const chosen = random.shuffle([...operations]).slice(0, count);
    for (const operation of chosen) current = await operation(current, random);
    if (!isDegenerate(source, current)) return { image: current, redraws };
  }
  return { image: await horizontalFlip(image), redraws: maxRedraws + 1 };
}
