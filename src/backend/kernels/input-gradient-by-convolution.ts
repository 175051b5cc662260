/**
 * The input gradient of a convolution as a forward convolution, shared by the dense and the
 * depthwise kernels: dy, with zeros inserted between its pixels when the stride is above 1, is
 * convolved by the spatially flipped filter with the padding of a "full" convolution.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelScope, Shape4D } from './kernel-scope.js';

/**
 * dx of a convolution: dy, zero-stuffed by the stride, convolved by `flippedFilter` (the forward
 * filter reversed along both spatial axes, in the layout `forwardKernel` expects) with the
 * padding that makes a "full" convolution, cropped to the input's shape.
 */
export function inputGradientByConvolution(
  scope: KernelScope,
  dy: TensorInfo,
  flippedFilter: TensorInfo,
  info: backend_util.Conv2DInfo,
  forwardKernel: typeof tf.Conv2D | typeof tf.DepthwiseConv2dNative,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, filterHeight, filterWidth, padInfo } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const reachHeight = (filterHeight - 1) * dilationHeight;
  const reachWidth = (filterWidth - 1) * dilationWidth;
  // Negative pads (an input padding wider than the filter reaches) become a crop instead.
  const top = reachHeight - padInfo.top;
  const left = reachWidth - padInfo.left;

  const stuffed = insertZeros(scope, dy, strideHeight, strideWidth);
  const [, stuffedHeight, stuffedWidth, channels] = stuffed.shape as Shape4D;
  const bottom = inHeight + reachHeight - stuffedHeight - top;
  const right = inWidth + reachWidth - stuffedWidth - left;
  const full = scope.run(
    forwardKernel,
    { x: stuffed, filter: flippedFilter },
    {
      strides: 1,
      dilations: [dilationHeight, dilationWidth],
      pad: [
        [0, 0],
        [Math.max(0, top), Math.max(0, bottom)],
        [Math.max(0, left), Math.max(0, right)],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    },
  );
  if (Math.min(top, bottom, left, right) >= 0) return full;
  const outChannels = forwardKernel === tf.Conv2D ? inChannels : channels;
  return scope.run(
    tf.Slice,
    { x: full },
    {
      begin: [0, Math.max(0, -top), Math.max(0, -left), 0],
      size: [batchSize, inHeight, inWidth, outChannels],
    },
  );
}

/** [N, H, W, C] -> [N, H*sh, W*sw, C] with each pixel followed by zeros; identity for stride 1. */
function insertZeros(
  scope: KernelScope,
  x: TensorInfo,
  strideHeight: number,
  strideWidth: number,
): TensorInfo {
  if (strideHeight === 1 && strideWidth === 1) return x;
  const [batch, height, width, channels] = x.shape as Shape4D;
  const spread = scope.reshape(x, [batch, height, 1, width, 1, channels]);
  const padded = scope.run(
    tf.PadV2,
    { x: spread },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, strideHeight - 1],
        [0, 0],
        [0, strideWidth - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  return scope.reshape(padded, [batch, height * strideHeight, width * strideWidth, channels]);
}
