/**
 * The filter gradient of a dense convolution as one matrix product over an im2col copy of x, for
 * convolutions with few input channels (the first layer of an RGB model).
 *
 * The convolution form in `conv2d-gradients.ts` treats dy as a filter of H' * W' taps of N
 * channels each. XNNPACK's convolution has no blocking over its reduction, so it streams that whole
 * filter (8 MiB for a 64x64x16 layer at batch 32) once per block of four output pixels, and with
 * three input channels every tap's inner loop is only N long. Here the reduction over batch and
 * positions is one contiguous row instead: dW [KH*KW*C_in, C_out] = cols [KH*KW*C_in, N*H'*W']
 * times dy [N*H'*W', C_out]. The copy is KH*KW times x, small when C_in is, and the product
 * measured 2x faster than the convolution for C_in = 3 but slower from C_in = 16 on.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { backend_util, TensorInfo, NamedTensorInfoMap } from '@tensorflow/tfjs-core';
import type { KernelScope, Shape4D } from './kernel-scope.js';

/** Input channels up to which `filterGradientByIm2col` beats the convolution form. */
export const IM2COL_MAX_IN_CHANNELS = 4;

/**
 * dW of an NHWC convolution: each filter tap's strided window of padded x, laid out with the
 * batch and positions innermost so that every row of the im2col matrix is contiguous, times dy.
 */
export function filterGradientByIm2col(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { dilationHeight, dilationWidth, padInfo } = info;
  const paddedHeight = Math.max(
    inHeight + padInfo.top,
    (filterHeight - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1,
  );
  const paddedWidth = Math.max(
    inWidth + padInfo.left,
    (filterWidth - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1,
  );

  const channelsFirst = scope.transpose(x, [3, 0, 1, 2]);
  const padded = scope.run(
    tf.PadV2,
    { x: channelsFirst },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [padInfo.top, paddedHeight - inHeight - padInfo.top],
        [padInfo.left, paddedWidth - inWidth - padInfo.left],
      ],
      constantValue: 0,
    },
  );
  const windows: TensorInfo[] = [];
  for (let row = 0; row < filterHeight; row++) {
    for (let column = 0; column < filterWidth; column++) {
      const top = row * dilationHeight;
      const left = column * dilationWidth;
      windows.push(
        scope.run(
          tf.StridedSlice,
          { x: padded },
          {
            begin: [0, 0, top, left],
            end: [
              inChannels,
              batchSize,
              top + (outHeight - 1) * strideHeight + 1,
              left + (outWidth - 1) * strideWidth + 1,
            ],
            strides: [1, 1, strideHeight, strideWidth],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        ),
      );
    }
  }
  const stacked = scope.run(tf.Pack, windows as unknown as NamedTensorInfoMap, { axis: 0 });
  const reducedLength = batchSize * outHeight * outWidth;
  const columns = scope.reshape(stacked, [
    1,
    filterHeight * filterWidth * inChannels,
    reducedLength,
  ]);
  const gradients = scope.reshape(dy, [1, reducedLength, outChannels]);
  const product = scope.run(
    tf.BatchMatMul,
    { a: columns, b: gradients },
    { transposeA: false, transposeB: false },
  );
  const filterShape: Shape4D = [filterHeight, filterWidth, inChannels, outChannels];
  return scope.reshape(product, filterShape);
}
