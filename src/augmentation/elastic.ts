/**
 * Elastic deformation as imgaug's `ElasticTransformation(alpha=(0, 3), sigma=0.25)` defines it
 * (after Simard et al., 2003): every pixel gets a random displacement, uniform in [-1, 1] on each
 * axis, the displacement fields are smoothed by a Gaussian of `sigma` and scaled by `alpha`, and
 * the image is resampled at the displaced positions. With sigma 0.25 the smoothing is nearly
 * nil, so the effect is a fine jitter of up to `alpha` pixels.
 */
import type { SeededRandom } from '../util/seeded-random.js';
import { remapBilinear } from './bilinear-sample.js';
import type { RawImage } from './raw-image.js';

/** Range of alpha, the displacement strength in pixels. */
export const ELASTIC_ALPHA_RANGE_PX = [0, 3] as const;
/** Standard deviation of the smoothing Gaussian, in pixels. */
export const ELASTIC_SIGMA_PX = 0.25;

/**
 * Draws alpha in [0, 3] px and displaces the image by a smoothed random field. imgaug resamples
 * with cubic splines (order 3); this uses bilinear sampling, which differs by a slight softening
 * and keeps values inside [0, 255] without clipping.
 */
export async function elasticTransform(image: RawImage, random: SeededRandom): Promise<RawImage> {
  const alphaPx = random.uniform(...ELASTIC_ALPHA_RANGE_PX);
  return elasticWith(image, alphaPx, ELASTIC_SIGMA_PX, random);
}

/** Elastic deformation with a given strength and smoothing; the field is drawn from `random`. */
export function elasticWith(
  image: RawImage,
  alphaPx: number,
  sigmaPx: number,
  random: SeededRandom,
): RawImage {
  const { width, height } = image;
  const shiftX = randomField(width, height, random);
  const shiftY = randomField(width, height, random);
  smoothGaussian(shiftX, width, height, sigmaPx);
  smoothGaussian(shiftY, width, height, sigmaPx);
  return remapBilinear(image, (x, y, into) => {
    const index = y * width + x;
    into[0] = x + alphaPx * (shiftX[index] as number);
    into[1] = y + alphaPx * (shiftY[index] as number);
  });
}

function randomField(width: number, height: number, random: SeededRandom): Float64Array {
  const field = new Float64Array(width * height);
  for (let i = 0; i < field.length; i++) field[i] = random.uniform(-1, 1);
  return field;
}

/**
 * Separable Gaussian smoothing in place, zero outside the field (imgaug's constant mode). The
 * field is floating point, and sharp's `blur` refuses sigmas under 0.3, so it is done here.
 */
function smoothGaussian(field: Float64Array, width: number, height: number, sigmaPx: number): void {
  const radius = Math.max(1, Math.ceil(3 * sigmaPx));
  const weights = Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-((i - radius) ** 2) / (2 * sigmaPx * sigmaPx)),
  );
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const kernel = weights.map((weight) => weight / total);
  const pass = (stepAlong: number, length: number, lines: number, stepAcross: number): void => {
    const line = new Float64Array(length);
    for (let l = 0; l < lines; l++) {
      const start = l * stepAcross;
      for (let i = 0; i < length; i++) line[i] = field[start + i * stepAlong] as number;
      for (let i = 0; i < length; i++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) {
          const j = i + k;
          if (j >= 0 && j < length) sum += (kernel[k + radius] as number) * (line[j] as number);
        }
        field[start + i * stepAlong] = sum;
      }
    }
  };
  pass(1, width, height, width);
  pass(width, height, width, 1);
}
