/**
 * Runs tfjs-backend-wasm's threaded SIMD build in Node, so that XNNPACK can use more than one
 * core. Benchmark-only: it patches globals while the backend starts.
 *
 * The backend refuses threads on Node in its feature test (TensorFlow.js issue 3830), and its
 * Emscripten loader hands `worker_threads` a `blob:` URL, which Node rejects (ERR_WORKER_PATH).
 * The worker source ships in the package, so it is written to a temporary file, and the
 * `blob:` URLs are swapped for file paths: the worker script's, and the main script's that each
 * worker loads.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const WASM_OUT = '@tensorflow/tfjs-backend-wasm/wasm-out';

/**
 * Requests `threads` XNNPACK threads (1 leaves the single-threaded build alone) and returns the
 * count requested. Call before `tf.setBackend('wasm')`.
 */
export async function useWasmThreads(threads: number): Promise<number> {
  if (threads <= 1) return 1;
  const { wasmWorkerContents } = require(
    `${WASM_OUT}/tfjs-backend-wasm-threaded-simd.worker.js`,
  ) as {
    wasmWorkerContents: string;
  };
  const mainScriptPath = require.resolve(`${WASM_OUT}/tfjs-backend-wasm-threaded-simd.js`);
  const workerPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'tfjs-wasm-')), 'worker.cjs');
  // As the backend does before making its Blob: string literals in the source hold raw newlines.
  writeFileSync(workerPath, wasmWorkerContents.replace(/\n/g, '\\n'));

  const createObjectUrl = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob: Blob): string =>
    blob.type === 'application/javascript' ? workerPath : createObjectUrl(blob);
  const postMessage = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: never) {
    const load = message as { cmd?: string; urlOrBlob?: unknown };
    if (load?.cmd === 'load' && typeof load.urlOrBlob !== 'string') {
      load.urlOrBlob = mainScriptPath;
    }
    return postMessage.call(this, message, transfer);
  };

  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  return threads;
}
