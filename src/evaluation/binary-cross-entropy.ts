/**
 * Binary cross-entropy of predicted probabilities, the loss figure an evaluation reports.
 */

/**
 * Probabilities are clipped to [PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON] before the log, as
 * Keras does, so a confident mistake costs about 16 rather than infinity.
 */
export const PROBABILITY_EPSILON = 1e-7;

/**
 * Mean over every entry of -(y log p + (1 - y) log(1 - p)) with p clipped (see
 * `PROBABILITY_EPSILON`). `probabilities` and `targets` have the same length; any non-zero
 * target is a positive. Returns 0 for empty input.
 */
export function meanBinaryCrossEntropy(probabilities: Float32Array, targets: Uint8Array): number {
  if (probabilities.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = Math.min(Math.max(probabilities[i]!, PROBABILITY_EPSILON), 1 - PROBABILITY_EPSILON);
    sum -= targets[i] !== 0 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / probabilities.length;
}
