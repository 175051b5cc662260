/**
 * Crop-and-pad augmentation after imgaug's `CropAndPad(percent=(-0.25, 0.25), keep_size=True)`:
 * each side is independently cropped or padded by up to a quarter of the image, and the result is
 * resized back to the original size.
 */
import type { SeededRandom } from '../util/seeded-random.js';
import { type RawImage, transformWithSharp } from './raw-image.js';

/** Per-side amount range, as a fraction of the width (left, right) or height (top, bottom). */
export const CROP_AND_PAD_FRACTION_RANGE = [-0.25, 0.25] as const;

/** Per-side amounts: negative pads (black), positive crops, as fractions of the size. */
export interface SideFractions {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/**
 * Draws each side's amount in [-0.25, 0.25] and applies it. The sign convention (negative pads,
 * positive crops) is imgaug's reversed; the range is symmetric, so the distribution is the same.
 */
export async function cropAndPad(image: RawImage, random: SeededRandom): Promise<RawImage> {
  const draw = (): number => random.uniform(...CROP_AND_PAD_FRACTION_RANGE);
  return cropAndPadBy(image, { top: draw(), right: draw(), bottom: draw(), left: draw() });
}

/** Crops the positive sides, pads the negative ones with black, then resizes to the input size. */
export async function cropAndPadBy(image: RawImage, sides: SideFractions): Promise<RawImage> {
  const { width, height } = image;
  const pixels = (fraction: number, size: number): number => Math.round(Math.abs(fraction) * size);
  const crop = (fraction: number, size: number): number =>
    fraction > 0 ? pixels(fraction, size) : 0;
  const pad = (fraction: number, size: number): number =>
    fraction < 0 ? pixels(fraction, size) : 0;

  // At most a quarter per side is cropped, so at least half remains; the clamp guards 1-px images.
  const left = Math.min(crop(sides.left, width), width - 1);
  const top = Math.min(crop(sides.top, height), height - 1);
  const keptWidth = Math.max(1, width - left - crop(sides.right, width));
  const keptHeight = Math.max(1, height - top - crop(sides.bottom, height));

  // sharp runs resize before extend within one pipeline, so the resize is a second pass.
  const reframed = await transformWithSharp(image, (pipeline) =>
    pipeline.extract({ left, top, width: keptWidth, height: keptHeight }).extend({
      top: pad(sides.top, height),
      right: pad(sides.right, width),
      bottom: pad(sides.bottom, height),
      left: pad(sides.left, width),
      background: { r: 0, g: 0, b: 0, alpha: 0 },
    }),
  );
  return transformWithSharp(reframed, (pipeline) =>
    pipeline.resize(width, height, { fit: 'fill' }),
  );
}
