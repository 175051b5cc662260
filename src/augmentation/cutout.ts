/**
 * Cutout augmentation (DeVries and Taylor, 2017) as imgaug's `Cutout(nb_iterations=(1, 3),
 * size=0.2)`: one to three rectangles, each a fifth of the width by a fifth of the height, are
 * painted over with a constant grey or with Gaussian noise.
 */
import type { OverlayOptions } from 'sharp';

import type { SeededRandom } from '../util/seeded-random.js';
import { type RawImage, transformWithSharp } from './raw-image.js';
import { standardNormal } from './standard-normal.js';

/** Smallest and largest number of holes. */
export const CUTOUT_HOLE_COUNT_RANGE = [1, 3] as const;
/** Side of a hole as a fraction of the image's width and height. */
export const CUTOUT_SIZE_FRACTION = 0.2;
/** Mean and standard deviation of the noise fill, in 8-bit levels. */
const NOISE_MEAN = 128;
const NOISE_STD = 64;

/**
 * Paints 1-3 holes whose centres are uniform over the image (holes at an edge are clipped, as in
 * imgaug). Each hole is, with equal chance, one random grey level or per-pixel Gaussian noise.
 * Holes are opaque in images with alpha.
 */
export async function cutout(image: RawImage, random: SeededRandom): Promise<RawImage> {
  const { width, height } = image;
  const colourChannels = image.channels <= 2 ? 1 : 3;
  const holeWidth = Math.max(1, Math.round(CUTOUT_SIZE_FRACTION * width));
  const holeHeight = Math.max(1, Math.round(CUTOUT_SIZE_FRACTION * height));
  const holeCount = random.integer(...CUTOUT_HOLE_COUNT_RANGE);

  const overlays: OverlayOptions[] = [];
  for (let hole = 0; hole < holeCount; hole++) {
    const centreX = random.uniform(0, width);
    const centreY = random.uniform(0, height);
    const left = Math.max(0, Math.round(centreX - holeWidth / 2));
    const top = Math.max(0, Math.round(centreY - holeHeight / 2));
    const right = Math.min(width, Math.round(centreX + holeWidth / 2));
    const bottom = Math.min(height, Math.round(centreY + holeHeight / 2));
    if (right <= left || bottom <= top) continue;

    const fill = Buffer.alloc((right - left) * (bottom - top) * colourChannels);
    if (random.chance(0.5)) {
      fill.fill(random.integer(0, 255));
    } else {
      for (let i = 0; i < fill.length; i++) {
        const level = Math.round(NOISE_MEAN + NOISE_STD * standardNormal(random));
        fill[i] = Math.min(255, Math.max(0, level));
      }
    }
    const raw = { width: right - left, height: bottom - top, channels: colourChannels } as const;
    overlays.push({ input: fill, raw, left, top });
  }
  return transformWithSharp(image, (pipeline) => pipeline.composite(overlays));
}
