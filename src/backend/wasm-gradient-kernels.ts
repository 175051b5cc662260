/**
 * Gradient kernels the wasm backend lacks, registered so that convolutional models train on it.
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter or
 * DepthwiseConv2dNativeBackpropInput (TensorFlow.js issue 8474), so `tf.grad` through a
 * convolution fails on it. Each kernel here is rewritten as kernels the backend does have, chosen
 * so that the heavy part runs through XNNPACK's convolution:
 *
 * - The filter gradient of an NHWC convolution is itself a convolution. With the batch moved to
 *   the channel axis, x becomes [C_in, H, W, N] and dy becomes a filter [H', W', N, C_out]; a
 *   convolution whose dilation is the original stride then yields [C_in, KH, KW, C_out], one
 *   transpose away from the filter's layout. The im2col and matmul alternative copied x nine
 *   times and trained about 10x slower.
 * - The input gradient of a depthwise convolution is a depthwise convolution of dy (with zeros
 *   inserted between its pixels when the stride is above 1) by the spatially flipped filter.
 * - The filter gradient of a depthwise convolution has no XNNPACK form; it sums, per filter tap,
 *   a strided view of x times dy. Depthwise filters are small, so this stays cheap.
 *
 * Intermediate results are freed inside each kernel, so the tensor count stays flat.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  backend_util,
  type GradConfig,
  type KernelBackend,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

const BACKEND_NAME = 'wasm';

type Padding = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Shape4D = [number, number, number, number];

/**
 * Runs other wasm kernels from inside a kernel and frees what they return, so that a composite
 * kernel creates no engine tensors and leaves nothing behind but its output.
 */
class KernelScope {
  private readonly intermediates: TensorInfo[] = [];

  constructor(private readonly backend: KernelBackend) {}

  /** Runs kernel `name` on the wasm backend; the result is freed by `dispose` unless kept. */
  run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const config = tf.getKernel(name, BACKEND_NAME);
    if (config === undefined) throw new Error(`the wasm backend has no ${name} kernel`);
    const output = config.kernelFunc({ inputs, attrs, backend: this.backend });
    const single = Array.isArray(output) ? output[0] : output;
    if (single === undefined) throw new Error(`kernel ${name} returned nothing`);
    this.intermediates.push(single);
    return single;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run(tf.Transpose, { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run(tf.Reshape, { x }, { shape });
  }

  /** Frees every intermediate except `output`, which the engine adopts. */
  finish(output: TensorInfo): TensorInfo {
    for (const info of this.intermediates) {
      if (info !== output) this.backend.disposeData(info.dataId);
    }
    return output;
  }

  /** Frees every intermediate after a failure. */
  abandon(): void {
    for (const info of this.intermediates) this.backend.disposeData(info.dataId);
  }
}

/** Runs `body` in a fresh scope; intermediates are freed whether it returns or throws. */
function withScope(backend: KernelBackend, body: (scope: KernelScope) => TensorInfo): TensorInfo {
  const scope = new KernelScope(backend);
  try {
    return scope.finish(body(scope));
  } catch (caught) {
    scope.abandon();
    throw caught;
  }
}

function requireNhwc(dataFormat: string | undefined, kernel: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`wasm ${kernel} supports NHWC only, not ${dataFormat}`);
  }
}

function requireTensor(inputs: NamedTensorInfoMap, name: string): TensorInfo {
  const info = inputs[name];
  if (info === undefined) throw new Error(`missing kernel input ${name}`);
  return info;
}

/**
 * dW[kh, kw, ci, co] = sum over n, oh, ow of xPadded[n, oh*s + kh, ow*s + kw, ci] * dy[n, oh, ow,
 * co], which is a convolution of x^T [ci, H, W, n] by dy^T [oh, ow, n, co] with dilation s.
 */
const conv2dBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = requireTensor(inputs, 'x');
  const dy = requireTensor(inputs, 'dy');
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: number | [number, number];
    pad: Padding;
    dataFormat: string;
    dimRoundingMode: Rounding;
    filterShape: Shape4D;
  };
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
  return withScope(backend as KernelBackend, (scope) => {
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

/**
 * dx of a convolution: dy, zero-stuffed by the stride, convolved by the spatially flipped filter
 * with the padding that makes a "full" convolution, cropped to the input's shape.
 */
function inputGradientByConvolution(
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

/** dx of Conv2D through XNNPACK; the backend's own kernel is a plain loop and 10x slower. */
const conv2dBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = requireTensor(inputs, 'dy');
  const filter = requireTensor(inputs, 'filter');
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
    strides: number | [number, number];
    pad: Padding;
    dataFormat: string;
    dimRoundingMode: Rounding;
    inputShape: Shape4D;
  };
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

/** dx of a depthwise convolution; channel multipliers above 1 are summed afterwards. */
const depthwiseBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = requireTensor(inputs, 'dy');
  const filter = requireTensor(inputs, 'filter');
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as {
    strides: number | [number, number];
    dilations: number | [number, number];
    pad: Padding;
    dimRoundingMode: Rounding;
    inputShape: Shape4D;
  };
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

/**
 * dW of a depthwise convolution: for each filter tap, the strided window of padded x that tap
 * sees, times dy, summed over batch and positions.
 */
const depthwiseBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = requireTensor(inputs, 'x');
  const dy = requireTensor(inputs, 'dy');
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: number | [number, number];
    dilations: number | [number, number];
    pad: Padding;
    dimRoundingMode: Rounding;
    filterShape: Shape4D;
  };
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

/**
 * FusedBatchNorm's gradient without tfjs-core's tile of 1/sqrt(variance) to the full size of x
 * (a generic loop on wasm, a quarter of a training step) and with the per-channel sums shared
 * between the five inputs: five passes over the activations instead of about twelve.
 */
const batchNormGradient: GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const gradient = dy as tf.Tensor;
    const [x, mean, variance, savedScale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor?];
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const scale = savedScale ?? tf.scalar(1);
    const axes = backend_util.getReductionAxes(mean.shape, x.shape);
    const perChannel = (full: tf.Tensor): tf.Tensor =>
      tf.reshape(axes.length > 0 ? tf.sum(full, axes) : full, mean.shape);
    // Computed here rather than in the closures below, which run in separate scopes, so that
    // each sum is taken once; tidy frees the full-size product right away.
    const [inverseDeviation, sumDy, sumDyCentered] = tf.tidy(() => [
      tf.rsqrt(tf.add(variance, varianceEpsilon)),
      perChannel(gradient),
      perChannel(tf.mul(gradient, tf.sub(x, mean))),
    ]) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const gain = tf.mul(scale, inverseDeviation);
    return {
      x: () => tf.mul(gradient, gain),
      mean: () => tf.neg(tf.mul(gain, sumDy)),
      variance: () =>
        tf.mul(tf.mul(gain, tf.mul(tf.square(inverseDeviation), -0.5)), sumDyCentered),
      scale: () => tf.mul(sumDyCentered, inverseDeviation),
      offset: () => tf.clone(sumDy),
    };
  },
};

/** The backend's own kernels that ours replace, for the cases ours do not handle. */
const replacedKernels = new Map<string, KernelFunc>();

function runReplaced(name: string, args: Parameters<KernelFunc>[0]): TensorInfo {
  const original = replacedKernels.get(name);
  if (original === undefined) throw new Error(`the wasm backend has no ${name} kernel`);
  return original(args) as TensorInfo;
}

/**
 * The gradient of non-overlapping average pooling (pool size equal to the stride, no padding,
 * as in every model here): each dy pixel spread over its window by a broadcast multiply. The
 * backend's own kernel loops over every window and costs as much as a convolution.
 */
const avgPoolGrad: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const dy = requireTensor(inputs, 'dy');
  const x = requireTensor(inputs, 'input');
  const { filterSize, strides, pad } = attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: Padding;
  };
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
function leadingAxesReduction(name: typeof tf.Sum | typeof tf.Mean): KernelFunc {
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

/**
 * Kernels registered for wasm. The first four fill gaps (TensorFlow.js issue 8474) or replace
 * a plain-loop kernel; the last three replace slow kernels in the cases they handle and hand
 * the others to the backend's own.
 */
const KERNELS: ReadonlyArray<[string, KernelFunc]> = [
  [tf.Conv2DBackpropFilter, conv2dBackpropFilter],
  [tf.Conv2DBackpropInput, conv2dBackpropInput],
  [tf.DepthwiseConv2dNativeBackpropInput, depthwiseBackpropInput],
  [tf.DepthwiseConv2dNativeBackpropFilter, depthwiseBackpropFilter],
  [tf.AvgPoolGrad, avgPoolGrad],
  [tf.Sum, leadingAxesReduction(tf.Sum)],
  [tf.Mean, leadingAxesReduction(tf.Mean)],
];

/**
 * Registers the gradient kernels for the wasm backend and the faster FusedBatchNorm gradient
 * (the same mathematics on every backend); safe to call more than once. Call it after
 * tfjs-layers is imported, since importing it registers tfjs-core's gradients again.
 */
export function registerWasmGradientKernels(): void {
  for (const [kernelName, kernelFunc] of KERNELS) {
    const registered = tf.getKernel(kernelName, BACKEND_NAME);
    if (registered?.kernelFunc === kernelFunc) continue;
    if (registered !== undefined) {
      replacedKernels.set(kernelName, registered.kernelFunc);
      tf.unregisterKernel(kernelName, BACKEND_NAME);
    }
    // The replaced kernel's setup binds its wasm function when the backend starts; keep it.
    const setupFunc = registered?.setupFunc;
    tf.registerKernel({ kernelName, backendName: BACKEND_NAME, kernelFunc, setupFunc });
  }
  if (tf.getGradient(tf.FusedBatchNorm) !== batchNormGradient) {
    tf.registerGradient(batchNormGradient);
  }
}
