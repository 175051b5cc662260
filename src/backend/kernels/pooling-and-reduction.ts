/**
 * Faster wasm kernels for average pooling's gradient and for sums and means over leading axes.
 * Each replaces the backend's own kernel in the cases it handles and hands the others back to it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelFunc } from '@tensorflow/tfjs-core';
import { requireTensor, withScope, type Shape4D } from './kernel-scope.js';
import { runReplaced } from './replaced-kernels.js';

/**
 * The gradient of non-overlapping average pooling (pool size equal to the stride, no padding,
 * as in every model here): each dy pixel spread over its window by a broadcast multiply. The
 * backend's own kernel loops over every window and costs as much as a convolution.
 */
export const avgPoolGrad: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const dy = requireTensor(inputs, 'dy');
  const x = requireTensor(inputs, 'input');
  const { filterSize, strides, pad } = attrs as unknown as tf.AvgPoolGradAttrs;
  const [poolHeight, poolWidth] =
    typeof filterSize === 'number' ? [filterSize, filterSize] : filterSize;
  const [strideHeight, strideWidth] = typeof strides === 'number' ? [strides, strides] : strides;
  if (pad !== 'valid' || poolHeight !== strideHeight || poolWidth !== strideWidth) {
    return runReplaced(tf.AvgPoolGrad, args);
  }
  const [batch, outHeight, outWidth, channels] = dy.shape as Shape4D;
  const [, inHeight, inWidth] = x.shape as Shape4D;
  return withScope(backend as KernelBackend, (scope) => {
    const spread = scope.reshape(dy, [batch, outHeight, 1, outWidth, 1, channels]);
    const share = scope.run(
      tf.Fill,
      {},
      {
        shape: [1, 1, poolHeight, 1, poolWidth, 1],
        value: 1 / (poolHeight * poolWidth),
        dtype: 'float32',
      },
    );
    const windows = scope.run(tf.Multiply, { a: spread, b: share });
    const covered = scope.reshape(windows, [
      batch,
      outHeight * poolHeight,
      outWidth * poolWidth,
      channels,
    ]);
    if (outHeight * poolHeight === inHeight && outWidth * poolWidth === inWidth) return covered;
    // Rows and columns the floor division left out of every window get no gradient.
    return scope.run(
      tf.PadV2,
      { x: covered },
      {
        paddings: [
          [0, 0],
          [0, inHeight - outHeight * poolHeight],
          [0, inWidth - outWidth * poolWidth],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
  });
};

/**
 * Sum or Mean over leading axes (the batch and spatial axes of NHWC, as in batch-norm statistics,
 * bias gradients and global pooling) as one XNNPACK average pooling whose window spans them. The
 * backend's own reduction first transposes the reduced axes innermost, a full copy; a matrix
 * product with a row of ones was slower still, as XNNPACK repacks its right operand every call.
 */
export function leadingAxesReduction(name: typeof tf.Sum | typeof tf.Mean): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = requireTensor(inputs, 'x');
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.every((value, index) => value === index);
    if (x.dtype !== 'float32' || !leading || axes.length === 0 || axes.length === x.shape.length) {
      return runReplaced(name, args);
    }
    const kept = x.shape.slice(axes.length);
    const reducedSize = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
    const keptSize = tf.util.sizeFromShape(kept);
    const outShape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
    return withScope(backend as KernelBackend, (scope) => {
      const column = scope.reshape(x, [1, reducedSize, 1, keptSize]);
      const mean = scope.run(
        tf.AvgPool,
        { x: column },
        { filterSize: [reducedSize, 1], strides: [reducedSize, 1], pad: 'valid' },
      );
      if (name === tf.Mean) return scope.reshape(mean, outShape);
      const count = scope.run(tf.Fill, {}, { shape: [], value: reducedSize, dtype: 'float32' });
      const sum = scope.run(tf.Multiply, { a: mean, b: count });
      return scope.reshape(sum, outShape);
    });
  };
}
