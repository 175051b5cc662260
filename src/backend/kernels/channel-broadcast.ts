/**
 * Add, Sub and Multiply of a tensor by a per-channel vector (its last axis) on wasm as one XNNPACK
 * 1x1 depthwise convolution: x * w + b with w and b per channel.
 *
 * Batch normalisation in training broadcasts per-channel statistics over whole activations (the
 * centring in its moments, their gradients, the bias of each convolution). The backend's binary
 * kernels take a generic broadcasting loop for these, 2-4x slower than the same-shape loop, while
 * the depthwise convolution streams at memory speed. Other shapes, types and small tensors go to
 * the backend's own kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { requireTensor, withScope, type KernelScope } from './kernel-scope.js';
import { runReplaced } from './replaced-kernels.js';

/** Below this many elements the generic loop is as fast as building a convolution. */
const MIN_ELEMENTS = 16384;

type ChannelOp = typeof tf.Add | typeof tf.Sub | typeof tf.Multiply;

/** Whether `vector` holds one value per channel of `full`, broadcast over every other axis. */
function isChannelVector(vector: TensorInfo, full: TensorInfo): boolean {
  const channels = full.shape[full.shape.length - 1];
  if (vector.shape.length > full.shape.length || channels === undefined) return false;
  const last = vector.shape.length - 1;
  return (
    vector.shape[last] === channels && vector.shape.every((size, i) => i === last || size === 1)
  );
}

/** The kernel `name` with its per-channel broadcast case run as a depthwise convolution. */
export function channelBroadcast(name: ChannelOp): KernelFunc {
  return (args) => {
    const a = requireTensor(args.inputs, 'a');
    const b = requireTensor(args.inputs, 'b');
    const floats = a.dtype === 'float32' && b.dtype === 'float32';
    const vectorOnRight = floats && isChannelVector(b, a);
    const vectorOnLeft = floats && !vectorOnRight && isChannelVector(a, b);
    const full = vectorOnRight ? a : b;
    if ((!vectorOnRight && !vectorOnLeft) || tf.util.sizeFromShape(full.shape) < MIN_ELEMENTS) {
      return runReplaced(name, args);
    }
    const vector = vectorOnRight ? b : a;

    return withScope(args.backend as KernelBackend, (scope) => {
      const channels = vector.shape[vector.shape.length - 1] ?? 1;
      // A copy, not a reshape: the wasm depthwise kernel checks the bias's rank from the shape
      // its data was created with, which a reshape (sharing that data) leaves at the old rank.
      const values = scope.run(
        tf.Slice,
        { x: scope.reshape(vector, [channels]) },
        { begin: [0], size: [channels] },
      );
      const constant = (value: number): TensorInfo =>
        scope.run(tf.Fill, {}, { shape: [channels], value, dtype: 'float32' });
      let weight: TensorInfo;
      let bias: TensorInfo | undefined;
      if (name === tf.Multiply) {
        weight = values;
      } else if (name === tf.Add) {
        [weight, bias] = [constant(1), values];
      } else if (vectorOnRight) {
        [weight, bias] = [constant(1), scope.run(tf.Neg, { x: values })];
      } else {
        [weight, bias] = [constant(-1), values];
      }
      return depthwiseScale(scope, full, weight, bias);
    });
  };
}

/** full * weight + bias per channel, with `full` viewed as one row of pixels. */
function depthwiseScale(
  scope: KernelScope,
  full: TensorInfo,
  weight: TensorInfo,
  bias: TensorInfo | undefined,
): TensorInfo {
  const channels = weight.shape[0] ?? 1;
  const pixels = tf.util.sizeFromShape(full.shape) / channels;
  const row = scope.reshape(full, [1, 1, pixels, channels]);
  const inputs = { x: row, filter: scope.reshape(weight, [1, 1, channels, 1]) };
  const scaled = scope.run(
    tf.FusedDepthwiseConv2D,
    bias === undefined ? inputs : { ...inputs, bias },
    { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1, activation: 'linear' },
  );
  return scope.reshape(scaled, full.shape);
}
