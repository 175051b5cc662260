/**
 * The gradients of a dense NHWC convolution on wasm, both run through XNNPACK's convolution.
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter (TensorFlow.js issue 8474), and its
 * Conv2DBackpropInput is a plain loop about 10x slower than XNNPACK.
 *
 * The filter gradient of an NHWC convolution is itself a convolution. With the batch moved to the
 * channel axis, x becomes [C_in, H, W, N] and dy becomes a filter [H', W', N, C_out]; a
 * convolution whose dilation is the original stride then yields [C_in, KH, KW, C_out], one
 * transpose away from the filter's layout.
 *
 * Alternatives measured inside a reference-cnn training step (batch 32, 64x64) and rejected: an
 * im2col matrix product, even with C_in = 3 and rows laid out batch-innermost (26 ms against
 * 23 ms; it wins only when XNNPACK can reuse dy packed by an earlier call, never in training);
 * the batch split into chunks of 4 or 8 (no faster from C_in = 16, 2x slower at C_in = 3); and
 * the transposed form, dy as the input and x as the filter (within noise of it, and needs dy
 * zero-stuffed for strides above 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  backend_util,
  type KernelBackend,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { inputGradientByConvolution } from './input-gradient-by-convolution.js';
import { requireNhwc, requireTensor, withScope, type Shape4D } from './kernel-scope.js';

/**
 * dW[kh, kw, ci, co] = sum over n, oh, ow of xPadded[n, oh*s + kh, ow*s + kw, ci] * dy[n, oh, ow,
 * co], which is a convolution of x^T [ci, H, W, n] by dy^T [oh, ow, n, co] with dilation s.
 */
export const conv2dBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = requireTensor(inputs, 'x');
  const dy = requireTensor(inputs, 'dy');
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  requireNhwc(dataFormat, tf.Conv2DBackpropFilter);
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4D,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  return filterGradientByConvolution(backend as KernelBackend, x, dy, info);
};

function filterGradientByConvolution(
  backend: KernelBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  // Rows past what the last output reads are cut by the slice below; negative padding cannot be
  // expressed, so the bottom and right pads only ever grow the input.
  const padBottom = Math.max(
    0,
    (filterHeight - 1) * dilationHeight +
      (outHeight - 1) * strideHeight +
      1 -
      inHeight -
      padInfo.top,
  );
  const padRight = Math.max(
    0,
    (filterWidth - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1 - inWidth - padInfo.left,
  );
  return withScope(backend, (scope) => {
    const xT = scope.transpose(x, [3, 1, 2, 0]);
    const dyT = scope.transpose(dy, [1, 2, 0, 3]);
    const taps = scope.run(
      tf.Conv2D,
      { x: xT, filter: dyT },
      {
        strides: [dilationHeight, dilationWidth],
        dilations: [strideHeight, strideWidth],
        pad: [
          [0, 0],
          [padInfo.top, padBottom],
          [padInfo.left, padRight],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    const [inChannels, tapRows, tapColumns, outChannels] = taps.shape as Shape4D;
    const exact =
      tapRows === filterHeight && tapColumns === filterWidth
        ? taps
        : scope.run(
            tf.Slice,
            { x: taps },
            { begin: [0, 0, 0, 0], size: [inChannels, filterHeight, filterWidth, outChannels] },
          );
    return scope.transpose(exact, [1, 2, 0, 3]);
  });
}

/** dx of Conv2D through XNNPACK; the backend's own kernel is a plain loop and 10x slower. */
export const conv2dBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = requireTensor(inputs, 'dy');
  const filter = requireTensor(inputs, 'filter');
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as tf.Conv2DBackpropInputAttrs;
  requireNhwc(dataFormat, tf.Conv2DBackpropInput);
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as Shape4D,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  return withScope(backend as KernelBackend, (scope) => {
    const reversed = scope.run(tf.Reverse, { x: filter }, { dims: [0, 1] });
    const flipped = scope.transpose(reversed, [0, 1, 3, 2]);
    return inputGradientByConvolution(scope, dy, flipped, info, tf.Conv2D);
  });
};
