/**
 * Identity, and Cast to the type a tensor already has, on wasm without a copy: the output shares
 * the input's memory, as Reshape's already does on wasm and Identity's does on the cpu backend.
 *
 * The backend's own kernels copy the whole tensor. A reference-cnn training step calls Identity
 * about ten times per activation (the gradients of Add and tfjs-layers' bookkeeping clone dy) and
 * Cast three times (the ReLU gradient casts its float mask to float), a few percent of the step.
 * Sharing is safe because no kernel writes into its inputs and variables are updated by swapping
 * their data, never in place.
 */
import type { DataType, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { requireTensor } from './kernel-scope.js';
import { runReplaced } from './replaced-kernels.js';

function share(backend: KernelBackend, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Identity that shares its input's data; strings go to the backend's own kernel. */
export const sharedIdentity: KernelFunc = (args) => {
  const x = requireTensor(args.inputs, 'x');
  if (x.dtype === 'string') return runReplaced('Identity', args);
  return share(args.backend as KernelBackend, x);
};

/** Cast that shares its input's data when the type does not change. */
export const sharedCast: KernelFunc = (args) => {
  const x = requireTensor(args.inputs, 'x');
  const { dtype } = args.attrs as unknown as { dtype: DataType };
  if (x.dtype === 'string' || x.dtype !== dtype) return runReplaced('Cast', args);
  return share(args.backend as KernelBackend, x);
};
