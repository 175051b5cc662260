/**
 * Builds model input tensors from the cached pixel buffer: one batch of images, scaled to [0, 1],
 * optionally flipped left to right (the on-the-fly augmentation of training).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '../util/seeded-random.js';

/**
 * A [indices.length, size, size, 3] float tensor of the images at `indices` in `pixels`.
 * With `random`, each image is mirrored horizontally with probability 0.5.
 */
export function imageBatch(
  pixels: Uint8Array,
  sizePx: number,
  indices: readonly number[],
  random?: SeededRandom,
): tf.Tensor4D {
  const values = imageBatchValues(pixels, sizePx, indices, random);
  return tf.tensor4d(values, [indices.length, sizePx, sizePx, 3]);
}

/** The values of `imageBatch`, for a batch that goes to another thread. */
export function imageBatchValues(
  pixels: Uint8Array,
  sizePx: number,
  indices: readonly number[],
  random?: SeededRandom,
): Float32Array {
  const imageLength = sizePx * sizePx * 3;
  const rowLength = sizePx * 3;
  const values = new Float32Array(indices.length * imageLength);
  indices.forEach((image, i) => {
    const source = image * imageLength;
    const target = i * imageLength;
    if (random?.chance(0.5)) {
      for (let y = 0; y < sizePx; y++) {
        const rowStart = y * rowLength;
        for (let x = 0; x < sizePx; x++) {
          const from = source + rowStart + x * 3;
          const to = target + rowStart + (sizePx - 1 - x) * 3;
          values[to] = (pixels[from] as number) / 255;
          values[to + 1] = (pixels[from + 1] as number) / 255;
          values[to + 2] = (pixels[from + 2] as number) / 255;
        }
      }
    } else {
      for (let k = 0; k < imageLength; k++)
        values[target + k] = (pixels[source + k] as number) / 255;
    }
  });
  return values;
}

/** The sigmoid probabilities of a model for the images at `indices`, in batches. */
export async function predictProbabilities(
  predict: (input: tf.Tensor4D) => tf.Tensor,
  pixels: Uint8Array,
  sizePx: number,
  indices: readonly number[],
  batchSize: number,
  labelCount: number,
): Promise<Float32Array> {
  const probabilities = new Float32Array(indices.length * labelCount);
  for (let start = 0; start < indices.length; start += batchSize) {
    const batchIndices = indices.slice(start, start + batchSize);
    const output = tf.tidy(() => tf.sigmoid(predict(imageBatch(pixels, sizePx, batchIndices))));
    probabilities.set(await output.data(), start * labelCount);
    output.dispose();
  }
  return probabilities;
}
