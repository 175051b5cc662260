/**
 * FusedBatchNorm on wasm as one XNNPACK pass: a 1x1 depthwise convolution whose per-channel
 * weight is scale / sqrt(variance + epsilon) and whose bias is offset - mean * weight.
 *
 * The backend's own kernel is a scalar loop that looks every channel's statistics up per element,
 * and measured 4-5x slower than the depthwise convolution on a 32x64x64x16 activation (12.5 ms
 * against 2.5 ms). Only the channels-last case with per-channel statistics takes this path.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { requireTensor, withScope, type KernelScope } from './kernel-scope.js';
import { runReplaced } from './replaced-kernels.js';

/** Batch normalisation of an NHWC tensor by per-channel statistics, through XNNPACK. */
export const batchNormByDepthwise: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const x = requireTensor(inputs, 'x');
  const mean = requireTensor(inputs, 'mean');
  const variance = requireTensor(inputs, 'variance');
  const { offset, scale } = inputs;
  const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
  const channels = x.shape[x.shape.length - 1] ?? 0;
  const perChannel = [mean, variance, offset, scale].every(
    (info) => info === undefined || tf.util.sizeFromShape(info.shape) === channels,
  );
  if (x.shape.length !== 4 || x.dtype !== 'float32' || channels === 0 || !perChannel) {
    return runReplaced(tf.FusedBatchNorm, args);
  }

  return withScope(backend as KernelBackend, (scope) => {
    const vector = (info: TensorInfo): TensorInfo => scope.reshape(info, [channels]);
    const epsilon = scalar(scope, varianceEpsilon);
    const inverseDeviation = scope.run(tf.Rsqrt, {
      x: scope.run(tf.Add, { a: vector(variance), b: epsilon }),
    });
    const gain =
      scale === undefined
        ? inverseDeviation
        : scope.run(tf.Multiply, { a: vector(scale), b: inverseDeviation });
    const shift = scope.run(tf.Multiply, { a: vector(mean), b: gain });
    const bias =
      offset === undefined
        ? scope.run(tf.Neg, { x: shift })
        : scope.run(tf.Sub, { a: vector(offset), b: shift });
    return scope.run(
      tf.FusedDepthwiseConv2D,
      { x, filter: scope.reshape(gain, [1, 1, channels, 1]), bias },
      { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, activation: 'linear' },
    );
  });
};

function scalar(scope: KernelScope, value: number): TensorInfo {
  return scope.run(tf.Fill, {}, { shape: [], value, dtype: 'float32' });
}
