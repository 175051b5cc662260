/**
 * Multi-label training losses, all computed from logits (not probabilities) so that they stay
 * finite and have useful gradients for confident predictions, and all averaged over batch and
 * labels. Every op used here has a kernel on the cpu and wasm backends.
 */
import * as tf from '@tensorflow/tfjs-core';
// Losses exist to be differentiated, and tfjs-core's Node bundle registers no gradients; the
// tfjs-layers bundle registers them all when loaded (tfjs-core's own register_all_gradients is ESM
// without file extensions, which Node refuses to load).
import '@tensorflow/tfjs-layers';

import { InvalidInputError } from '../errors/domain-errors.js';
import type { ClassWeights } from './class-weights.js';

/** The loss names `createLoss` accepts. */
export const LOSS_NAMES = ['weighted-bce', 'bce', 'focal', 'asl'] as const;

/** One of `LOSS_NAMES`. */
export type LossName = (typeof LOSS_NAMES)[number];

/** The loss used when a training request names none. */
export const DEFAULT_LOSS_NAME: LossName = 'weighted-bce';

/** A loss: 0/1 labels and logits, both batch x labels, to a scalar averaged over both axes. */
export type LossFunction = (labels: tf.Tensor2D, logits: tf.Tensor2D) => tf.Scalar;

/** Focal loss focusing exponent (Lin et al. 2017, the value the paper recommends). */
export const FOCAL_GAMMA = 2;
/** Focal loss weight of positives; negatives get 1 - alpha (Lin et al. 2017). */
export const FOCAL_ALPHA = 0.25;
/** Asymmetric loss focusing exponent on negatives (Ridnik et al. 2021). */
export const ASL_GAMMA_NEGATIVE = 4;
/** Asymmetric loss focusing exponent on positives (Ridnik et al. 2021). */
export const ASL_GAMMA_POSITIVE = 0;
/** Asymmetric loss probability margin: negatives scored below it cost nothing. */
export const ASL_PROBABILITY_MARGIN = 0.05;

/**
 * Builds the named loss.
 *
 * - `weighted-bce`: binary cross-entropy with per-label weights on positive and negative entries
 *   (see `classWeights`); `weights` is required.
 * - `bce`: plain binary cross-entropy.
 * - `focal`: focal loss, -alpha_t (1 - p_t)^gamma log(p_t) with gamma 2 and alpha 0.25 on
 *   positives (0.75 on negatives), as in Lin et al. 2017.
 * - `asl`: asymmetric loss (Ridnik et al. 2021): positives -(1 - p)^0 log(p); negatives
 *   -p_m^4 log(1 - p_m) with p_m = max(p - 0.05, 0). Unlike the reference implementation, which
 *   sums, it is averaged like the others, and the focusing weights are differentiated through.
 *
 * `weights` are used by `weighted-bce` only.
 */
export function createLoss(name: string, weights?: ClassWeights): LossFunction {
  switch (name) {
    case 'weighted-bce': {
      if (weights === undefined) {
        throw new InvalidInputError('loss weighted-bce needs class weights');
      }
      return weightedBinaryCrossEntropy(weights);
    }
    case 'bce':
      return binaryCrossEntropy;
    case 'focal':
      return focalLoss;
    case 'asl':
      return asymmetricLoss;
    default:
      throw new InvalidInputError(`unknown loss '${name}'; valid losses: ${LOSS_NAMES.join(', ')}`);
  }
}

/** -log(sigmoid(-x)) = log(1 + e^x), written so that e^x never overflows. */
function softplus(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}

function binaryCrossEntropy(labels: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const y = tf.cast(labels, 'float32');
    // -y log(p) - (1 - y) log(1 - p) with p = sigmoid(x) is softplus(x) - x y.
    return tf.mean(tf.sub(softplus(logits), tf.mul(logits, y)));
  });
}

function weightedBinaryCrossEntropy(weights: ClassWeights): LossFunction {
  return (labels, logits) =>
    tf.tidy(() => {
      const labelCount = logits.shape[1];
      if (weights.positive.length !== labelCount || weights.negative.length !== labelCount) {
        throw new InvalidInputError(
          `loss weighted-bce: class weights cover ${weights.positive.length} labels, ` +
            `the model outputs ${labelCount}`,
        );
      }
      const y = tf.cast(labels, 'float32');
      const positiveWeight = tf.tensor1d(weights.positive);
      const negativeWeight = tf.tensor1d(weights.negative);
      const positiveTerm = tf.mul(tf.mul(y, positiveWeight), softplus(tf.neg(logits)));
      const negativeTerm = tf.mul(tf.mul(tf.sub(1, y), negativeWeight), softplus(logits));
      return tf.mean(tf.add(positiveTerm, negativeTerm));
    });
}

function focalLoss(labels: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const y = tf.cast(labels, 'float32');
    const p = tf.sigmoid(logits);
    // FOCAL_GAMMA is 2, so square() stands in for pow(): its gradient is finite at 0.
    const positiveTerm = tf.mul(
      tf.mul(y, FOCAL_ALPHA),
      tf.mul(tf.square(tf.sub(1, p)), softplus(tf.neg(logits))),
    );
    const negativeTerm = tf.mul(
      tf.mul(tf.sub(1, y), 1 - FOCAL_ALPHA),
      tf.mul(tf.square(p), softplus(logits)),
    );
    return tf.mean(tf.add(positiveTerm, negativeTerm));
  });
}

function asymmetricLoss(labels: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const y = tf.cast(labels, 'float32');
    // ASL_GAMMA_POSITIVE is 0, so the positive term is plain cross-entropy.
    const positiveTerm = tf.mul(y, softplus(tf.neg(logits)));
    const shifted = tf.relu(tf.sub(tf.sigmoid(logits), ASL_PROBABILITY_MARGIN));
    // 1 - shifted stays at or above the margin, so the log is finite without clipping.
    // ASL_GAMMA_NEGATIVE is 4: two square()s avoid pow(), whose gradient takes log of the base.
    const negativeTerm = tf.mul(
      tf.sub(1, y),
      tf.mul(tf.square(tf.square(shifted)), tf.neg(tf.log(tf.sub(1, shifted)))),
    );
    return tf.mean(tf.add(positiveTerm, negativeTerm));
  });
}
