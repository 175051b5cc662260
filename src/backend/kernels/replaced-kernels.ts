/**
 * The wasm backend's own kernels that ours replace, kept for the cases ours do not handle.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

const replacedKernels = new Map<string, KernelFunc>();

/** Remembers `kernelFunc` as the backend's own kernel `name`, before ours replaces it. */
export function rememberReplacedKernel(name: string, kernelFunc: KernelFunc): void {
  replacedKernels.set(name, kernelFunc);
}

/** Runs the backend's own kernel `name` with the arguments ours was given. */
export function runReplaced(name: string, args: Parameters<KernelFunc>[0]): TensorInfo {
  const original = replacedKernels.get(name);
  if (original === undefined) throw new Error(`the wasm backend has no ${name} kernel`);
  return original(args) as TensorInfo;
}
