/**
 * Perspective augmentation after imgaug's `PerspectiveTransform(scale=(0.01, 0.15),
 * keep_size=True)`: each corner of the image moves inwards by a random fraction of the size, and
 * the quadrilateral they span is stretched back over the whole image.
 */
import type { SeededRandom } from '../util/seeded-random.js';
import { remapBilinear } from './bilinear-sample.js';
import { standardNormal } from './standard-normal.js';
import type { RawImage } from './raw-image.js';

/** Range of the per-image scale: the standard deviation of the corner moves, as a size fraction. */
export const PERSPECTIVE_SCALE_RANGE = [0.01, 0.15] as const;
/** imgaug clips corner moves at this fraction so the quadrilateral never folds over. */
const MAX_CORNER_MOVE = 0.4;

/**
 * Draws a scale s in [0.01, 0.15], moves each corner inwards by |N(0, s)| of the width and of the
 * height independently (as imgaug does), and maps the image onto that quadrilateral's homography.
 */
export async function perspectiveTransform(
  image: RawImage,
  random: SeededRandom,
): Promise<RawImage> {
  const scale = random.uniform(...PERSPECTIVE_SCALE_RANGE);
  const move = (): number => Math.min(MAX_CORNER_MOVE, Math.abs(standardNormal(random) * scale));
  // Corners in unit coordinates, clockwise from top-left: the source quadrilateral.
  const corners: [number, number][] = [
    [move(), move()],
    [1 - move(), move()],
    [1 - move(), 1 - move()],
    [move(), 1 - move()],
  ];
  return warpToQuadrilateral(image, corners);
}

/**
 * Stretches the quadrilateral `corners` (unit coordinates, clockwise from top-left) of `image`
 * over the whole output, which keeps the image's size.
 */
export function warpToQuadrilateral(image: RawImage, corners: [number, number][]): RawImage {
  const toQuad = squareToQuadrilateral(corners);
  const { width, height } = image;
  return remapBilinear(image, (x, y, into) => {
    // Pixel centres: pixel x covers [x, x + 1) of a width-wide unit-scaled span.
    toQuad((x + 0.5) / width, (y + 0.5) / height, into);
    into[0] = (into[0] as number) * width - 0.5;
    into[1] = (into[1] as number) * height - 0.5;
  });
}

/**
 * The projective map of the unit square onto a quadrilateral, in closed form (Heckbert,
 * "Fundamentals of Texture Mapping and Image Warping", 1989, section 2.2.3): no linear system to
 * solve.
 */
function squareToQuadrilateral(
  corners: [number, number][],
): (u: number, v: number, into: Float64Array) => void {
  const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = corners as [
    [number, number],
    [number, number],
    [number, number],
    [number, number],
  ];
  const sumX = x0 - x1 + x2 - x3;
  const sumY = y0 - y1 + y2 - y3;
  const dx1 = x1 - x2;
  const dx2 = x3 - x2;
  const dy1 = y1 - y2;
  const dy2 = y3 - y2;
  const determinant = dx1 * dy2 - dx2 * dy1;
  const g = determinant === 0 ? 0 : (sumX * dy2 - dx2 * sumY) / determinant;
  const h = determinant === 0 ? 0 : (dx1 * sumY - sumX * dy1) / determinant;
  const a = x1 - x0 + g * x1;
  const b = x3 - x0 + h * x3;
  const d = y1 - y0 + g * y1;
  const e = y3 - y0 + h * y3;
  return (u, v, into) => {
    const w = g * u + h * v + 1;
    into[0] = (a * u + b * v + x0) / w;
    into[1] = (d * u + e * v + y0) / w;
  };
}
