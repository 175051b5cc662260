/**
 * Identity on wasm without a copy: the output shares the input's memory, as Reshape's already
 * does on wasm and Identity's does on the cpu backend.
 *
 * The backend's own Identity copies the whole tensor, and a training step of tfjs-layers calls it
 * about ten times per activation (the gradients of Add and of the layers' bookkeeping clone dy),
 * a few percent of a reference-cnn step. Sharing is safe because no kernel writes into its inputs
 * and variables are updated by swapping their data, never in place.
 */
import type { KernelBackend, KernelFunc } from '@tensorflow/tfjs-core';
import { requireTensor } from './kernel-scope.js';
import { runReplaced } from './replaced-kernels.js';

/** Identity that shares its input's data; strings go to the backend's own kernel. */
export const sharedIdentity: KernelFunc = (args) => {
  const x = requireTensor(args.inputs, 'x');
  if (x.dtype === 'string') return runReplaced('Identity', args);
  (args.backend as KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
