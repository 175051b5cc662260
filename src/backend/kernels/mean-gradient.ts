/**
 * A cheaper gradient for Mean, registered in place of tfjs-core's on every backend (the
 * mathematics is the same).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig } from '@tensorflow/tfjs-core';

/**
 * dx = dy / n broadcast back over the reduced axes, as one fill and one multiply. tfjs-core's
 * gradient multiplies dy by a tensor of ones and then divides the full-size product by n: three
 * passes over x's size where two do. In training, tfjs-layers' batch normalisation takes two
 * means per layer (the batch mean and variance), each the size of the layer's activations.
 */
export const meanGradient: GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const { axis } = attrs as unknown as { axis: number | number[] };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const expandedShape = x.shape.map((size, index) => (axes.includes(index) ? 1 : size));
    const reducedSize = tf.util.sizeFromShape(axes.map((index) => x.shape[index] ?? 1));
    return {
      x: () =>
        tf.mul(tf.reshape(dy as tf.Tensor, expandedShape), tf.fill(x.shape, 1 / reducedSize)),
    };
  },
};
