/** Mirror augmentation. */
import type { SeededRandom } from '../util/seeded-random.js';
import { type RawImage, transformWithSharp } from './raw-image.js';

/**
 * Mirrors the image left to right. It always flips; the pipeline decides how often (p 0.7, as
 * the reference's `Fliplr(0.7)`). `random` is unused and kept so every operation has one shape.
 */
export async function horizontalFlip(image: RawImage, _random?: SeededRandom): Promise<RawImage> {
  return transformWithSharp(image, (pipeline) => pipeline.flop());
}
