/** Gaussian draws for the augmentations, from the seeded generator so runs can be repeated. */
import type { SeededRandom } from '../util/seeded-random.js';

/** A draw from N(0, 1) by the Box-Muller transform (one of its two values is discarded). */
export function standardNormal(random: SeededRandom): number {
  // 1 - next() lies in (0, 1], so the logarithm stays finite.
  const radius = Math.sqrt(-2 * Math.log(1 - random.next()));
  return radius * Math.cos(2 * Math.PI * random.next());
}
