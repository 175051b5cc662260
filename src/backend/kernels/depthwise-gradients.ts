/**
 * The gradients of a depthwise NHWC convolution on wasm, which tfjs-backend-wasm 4.22 lacks
 * (TensorFlow.js issue 8474).
 *
 * - The input gradient is a depthwise convolution of dy (with zeros inserted between its pixels
 *   when the stride is above 1) by the spatially flipped filter.
 * - The filter gradient has no XNNPACK form; it sums, per filter tap, a strided view of x times
 *   dy. Depthwise filters are small, so this stays cheap.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  backend_util,
  type KernelBackend,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { inputGradientByConvolution } from './input-gradient-by-convolution.js';
import { requireTensor, withScope, type Shape4D } from './kernel-scope.js';

/** dx of a depthwise convolution; channel multipliers above 1 are summed afterwards. */
export const depthwiseBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = requireTensor(inputs, 'dy');
  const filter = requireTensor(inputs, 'filter');
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as Shape4D,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const { batchSize, inHeight, inWidth, inChannels, outChannels } = info;
  const [filterHeight, filterWidth, , multiplier] = filter.shape as Shape4D;

  return withScope(backend as KernelBackend, (scope) => {
    const reversed = scope.run(tf.Reverse, { x: filter }, { dims: [0, 1] });
    const flipped = scope.reshape(reversed, [filterHeight, filterWidth, outChannels, 1]);
    const perOutput = inputGradientByConvolution(
      scope,
      dy,
      flipped,
      info,
      tf.DepthwiseConv2dNative,
    );
    if (multiplier === 1) return perOutput;
    const split = scope.reshape(perOutput, [batchSize, inHeight, inWidth, inChannels, multiplier]);
    return scope.run(tf.Sum, { x: split }, { axis: [4], keepDims: false });
  });
};

/**
 * dW of a depthwise convolution: for each filter tap, the strided window of padded x that tap
 * sees, times dy, summed over batch and positions.
 */
export const depthwiseBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = requireTensor(inputs, 'x');
  const dy = requireTensor(inputs, 'dy');
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4D,
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const [filterHeight, filterWidth, , multiplier] = filterShape;

  return withScope(backend as KernelBackend, (scope) => {
    const paddedHeight = Math.max(
      inHeight + padInfo.top,
      (filterHeight - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1,
    );
    const paddedWidth = Math.max(
      inWidth + padInfo.left,
      (filterWidth - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1,
    );
    const padded = scope.run(
      tf.PadV2,
      { x },
      {
        paddings: [
          [0, 0],
          [padInfo.top, paddedHeight - inHeight - padInfo.top],
          [padInfo.left, paddedWidth - inWidth - padInfo.left],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    const dyPerChannel = scope.reshape(dy, [
      batchSize,
      outHeight,
      outWidth,
      inChannels,
      multiplier,
    ]);
    const taps: TensorInfo[] = [];
    for (let row = 0; row < filterHeight; row++) {
      for (let column = 0; column < filterWidth; column++) {
        const top = row * dilationHeight;
        const left = column * dilationWidth;
        const window = scope.run(
          tf.StridedSlice,
          { x: padded },
          {
            begin: [0, top, left, 0],
            end: [
              batchSize,
              top + (outHeight - 1) * strideHeight + 1,
              left + (outWidth - 1) * strideWidth + 1,
              inChannels,
            ],
            strides: [1, strideHeight, strideWidth, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        );
        const windowPerChannel = scope.reshape(window, [
          batchSize,
          outHeight,
          outWidth,
          inChannels,
          1,
        ]);
        const product = scope.run(tf.Multiply, { a: windowPerChannel, b: dyPerChannel });
        taps.push(scope.run(tf.Sum, { x: product }, { axis: [0, 1, 2], keepDims: false }));
      }
    }
    const stacked = scope.run(tf.Pack, taps as unknown as NamedTensorInfoMap, { axis: 0 });
    return scope.reshape(stacked, filterShape);
  });
};
