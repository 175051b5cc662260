/**
 * Gradient kernels the wasm backend lacks, registered so that convolutional models train on it,
 * and faster replacements for a few slow ones. The kernels live in `kernels/`, one file per
 * concept; this module only registers them.
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter or
 * DepthwiseConv2dNativeBackpropInput (TensorFlow.js issue 8474), so `tf.grad` through a
 * convolution fails on it. Each kernel is rewritten as kernels the backend does have, chosen so
 * that the heavy part runs through XNNPACK. Intermediate results are freed inside each kernel, so
 * the tensor count stays flat.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { batchNormGradient } from './kernels/batch-norm-gradient.js';
import { batchNormByDepthwise } from './kernels/batch-norm-kernel.js';
import { channelBroadcast } from './kernels/channel-broadcast.js';
import { conv2dBackpropFilter, conv2dBackpropInput } from './kernels/conv2d-gradients.js';
import { depthwiseBackpropFilter, depthwiseBackpropInput } from './kernels/depthwise-gradients.js';
import { BACKEND_NAME } from './kernels/kernel-scope.js';
import { meanGradient } from './kernels/mean-gradient.js';
import { avgPoolGrad, leadingAxesReduction } from './kernels/pooling-and-reduction.js';
import { rememberReplacedKernel } from './kernels/replaced-kernels.js';
import { sharedCast, sharedIdentity } from './kernels/shared-identity.js';

/**
 * Kernels registered for wasm. The first four fill gaps (TensorFlow.js issue 8474) or replace
 * a plain-loop kernel; the next seven replace slow kernels in the cases they handle and hand
 * the others to the backend's own; the last two share memory where the backend's copy it.
 */
const KERNELS: ReadonlyArray<[string, KernelFunc]> = [
  [tf.Conv2DBackpropFilter, conv2dBackpropFilter],
  [tf.Conv2DBackpropInput, conv2dBackpropInput],
  [tf.DepthwiseConv2dNativeBackpropInput, depthwiseBackpropInput],
  [tf.DepthwiseConv2dNativeBackpropFilter, depthwiseBackpropFilter],
  [tf.AvgPoolGrad, avgPoolGrad],
  [tf.Sum, leadingAxesReduction(tf.Sum)],
  [tf.Mean, leadingAxesReduction(tf.Mean)],
  [tf.FusedBatchNorm, batchNormByDepthwise],
  [tf.Add, channelBroadcast(tf.Add)],
  [tf.Sub, channelBroadcast(tf.Sub)],
  [tf.Multiply, channelBroadcast(tf.Multiply)],
  [tf.Identity, sharedIdentity],
  [tf.Cast, sharedCast],
];

/** Gradients registered in place of tfjs-core's; the same mathematics in fewer passes. */
const GRADIENTS: readonly GradConfig[] = [batchNormGradient, meanGradient];

/**
 * Registers the gradient kernels for the wasm backend and the faster FusedBatchNorm and Mean
 * gradients (the same mathematics on every backend); safe to call more than once. Call it after
 * tfjs-layers is imported, since importing it registers tfjs-core's gradients again.
 */
export function registerWasmGradientKernels(): void {
  for (const [kernelName, kernelFunc] of KERNELS) {
    const registered = tf.getKernel(kernelName, BACKEND_NAME);
    if (registered?.kernelFunc === kernelFunc) continue;
    if (registered !== undefined) {
      rememberReplacedKernel(kernelName, registered.kernelFunc);
      tf.unregisterKernel(kernelName, BACKEND_NAME);
    }
    // The replaced kernel's setup binds its wasm function when the backend starts; keep it.
    const setupFunc = registered?.setupFunc;
    tf.registerKernel({ kernelName, backendName: BACKEND_NAME, kernelFunc, setupFunc });
  }
  for (const gradient of GRADIENTS) {
    if (tf.getGradient(gradient.kernelName) !== gradient) tf.registerGradient(gradient);
  }
}
