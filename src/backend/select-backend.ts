/**
 * Chooses the TensorFlow.js backend at start-up, best first: native GPU, native CPU, wasm, then
 * the pure-JS CPU backend. The native packages are optional dependencies (their install downloads
 * libtensorflow), so each is tried with a dynamic import and skipped when it does not load.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { InvalidInputError } from '../errors/domain-errors.js';
import { createLogger } from '../logging/logger.js';
import { registerWasmGradientKernels } from './wasm-gradient-kernels.js';

const log = createLogger('backend');

/** The backends in order of preference, by the names `LABELWISE_BACKEND` accepts. */
export const BACKEND_PREFERENCE = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

/** A backend name `LABELWISE_BACKEND` accepts. */
export type BackendName = (typeof BACKEND_PREFERENCE)[number];

const NATIVE_PACKAGES: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    const nativePackage = NATIVE_PACKAGES[name];
    if (nativePackage !== undefined) {
      await import(nativePackage);
      // Both native packages register their backend as "tensorflow".
      return await tf.setBackend('tensorflow');
    }
    if (name === 'wasm') registerWasmGradientKernels();
    return await tf.setBackend(name);
  } catch (caught) {
    log.debug('backend unavailable', { backend: name, reason: String(caught) });
    return false;
  }
}

function isBackendName(name: string): name is BackendName {
  return (BACKEND_PREFERENCE as readonly string[]).includes(name);
}

/** Selections made so far; concurrent callers share one initialisation per request. */
const selections = new Map<string, Promise<BackendName>>();

/**
 * Activates the forced backend, or the best one that loads, and returns its name.
 * Throws InvalidInputError for an unknown or unavailable forced backend.
 */
export function selectBackend(forced = ''): Promise<BackendName> {
  let selection = selections.get(forced);
  if (selection === undefined) {
    selection = selectOnce(forced);
    selection.catch(() => selections.delete(forced));
    selections.set(forced, selection);
  }
  return selection;
}

async function selectOnce(forced: string): Promise<BackendName> {
  if (forced !== '' && !isBackendName(forced)) {
    throw new InvalidInputError(
      `unknown backend "${forced}"; expected one of ${BACKEND_PREFERENCE.join(', ')}`,
    );
  }
  const candidates = forced === '' ? BACKEND_PREFERENCE : [forced];
  for (const name of candidates) {
    if (!(await tryBackend(name))) continue;
    await tf.ready();
    if (name === 'cpu') {
      log.warn('running on the pure-JS CPU backend: about 25x slower than wasm', { backend: name });
    }
    log.info('backend selected', { backend: name, forced: forced !== '' });
    return name;
  }
  throw new InvalidInputError(`backend "${forced}" is not available on this machine`);
}
