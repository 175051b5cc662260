/**
 * Asks tfjs-backend-wasm for more than one XNNPACK thread before the backend starts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/**
 * Requests `threads` threads and returns how many the backend will use. Node is refused the
 * threaded build by the backend's feature test (TensorFlow.js issue 3830), so more than one
 * thread means overriding that flag.
 */
export async function useWasmThreads(threads: number): Promise<number> {
  if (threads <= 1) return 1;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  return threads;
}
