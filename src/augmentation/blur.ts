/**
 * The three blurs of the reference pipeline (imgaug `AverageBlur(k=(2, 7))`, `MedianBlur(k=(3,
 * 11))`, `GaussianBlur(sigma=(0, 3))`), each drawing its strength per image.
 */
import type { SeededRandom } from '../util/seeded-random.js';
import { type RawImage, transformWithSharp } from './raw-image.js';

/** Smallest and largest box kernel side of the average blur, in pixels. */
export const AVERAGE_KERNEL_RANGE_PX = [2, 7] as const;
/** Smallest and largest median window side (odd values only), in pixels. */
export const MEDIAN_KERNEL_RANGE_PX = [3, 11] as const;
/** Range of the Gaussian blur's sigma, in pixels. */
export const GAUSSIAN_SIGMA_RANGE_PX = [0, 3] as const;
/** libvips refuses smaller sigmas, and their blur would not change an 8-bit image anyway. */
const MIN_GAUSSIAN_SIGMA_PX = 0.3;

/** Replaces each pixel by the mean of a k x k box, k drawn from 2 to 7. */
export async function averageBlur(image: RawImage, random: SeededRandom): Promise<RawImage> {
  const side = random.integer(...AVERAGE_KERNEL_RANGE_PX);
  return boxBlur(image, side);
}

/**
 * Box blur with a `side` x `side` kernel. sharp has no box blur and its `convolve` takes only odd
 * kernels, so an even box is placed in the top-left corner of the next odd kernel with zeros
 * around it: the same off-centre anchor OpenCV's `blur` (which imgaug calls) uses for even sizes.
 */
export async function boxBlur(image: RawImage, side: number): Promise<RawImage> {
  const kernelSide = side % 2 === 0 ? side + 1 : side;
  const kernel = new Array<number>(kernelSide * kernelSide).fill(0);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) kernel[y * kernelSide + x] = 1;
  }
  return transformWithSharp(image, (pipeline) =>
    pipeline.convolve({ width: kernelSide, height: kernelSide, kernel, scale: side * side }),
  );
}

/** Replaces each pixel by the median of an odd k x k window, k drawn from 3, 5, ..., 11. */
export async function medianBlur(image: RawImage, random: SeededRandom): Promise<RawImage> {
  const [smallest, largest] = MEDIAN_KERNEL_RANGE_PX;
  const side = smallest + 2 * random.integer(0, (largest - smallest) / 2);
  return transformWithSharp(image, (pipeline) => pipeline.median(side));
}

/** Gaussian blur with sigma drawn from 0 to 3 px; sigmas under 0.3 px leave the image as is. */
export async function gaussianBlur(image: RawImage, random: SeededRandom): Promise<RawImage> {
  const sigmaPx = random.uniform(...GAUSSIAN_SIGMA_RANGE_PX);
  if (sigmaPx < MIN_GAUSSIAN_SIGMA_PX) return { ...image, data: Buffer.from(image.data) };
  return transformWithSharp(image, (pipeline) => pipeline.blur(sigmaPx));
}
