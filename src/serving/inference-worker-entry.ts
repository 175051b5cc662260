/**
 * The inference worker thread: holds the loaded model versions and runs their batched model
 * calls on its own TensorFlow.js backend. TensorFlow.js on wasm computes synchronously, so running
 * it here keeps the serving thread free to receive calls and decode images while a batch runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { selectBackend } from '../backend/select-backend.js';
import { DomainError, NotFoundError, PreconditionError } from '../errors/domain-errors.js';
import { toErrorMessage } from '../jobs/worker-protocol.js';
import { createLogger } from '../logging/logger.js';
import { ModelStore } from '../store/model-store.js';
import type {
  InferenceReply,
  InferenceRequest,
  InferenceWorkerData,
} from './inference-protocol.js';

const port = parentPort;
if (port === null) throw new Error('the inference worker must run in a worker thread');
const data = workerData as InferenceWorkerData;
const log = createLogger('inference-worker');
const store = new ModelStore(data.homeDir);
const models = new Map<string, { model: LayersModel | GraphModel; inputSize: number }>();
const backendReady = selectBackend(data.backend);
backendReady.catch((caught: unknown) => {
  // Nothing can be served without a backend: end this thread (process.exit in a worker ends only
  // the worker), and let the serving side restart it after a delay.
  log.error('the inference worker has no backend', { backend: data.backend, error: caught });
  process.exit(1);
});

function modelOf(handle: string): { model: LayersModel | GraphModel; inputSize: number } {
  const loaded = models.get(handle);
  if (loaded === undefined) throw new NotFoundError(`model handle ${handle} is not loaded`);
  return loaded;
}

async function answer(request: InferenceRequest): Promise<InferenceReply> {
  await backendReady;
  switch (request.type) {
    case 'load': {
      const { model, metadata } = await store
        .loadModel(request.version)
        .catch((caught: unknown) => {
          if (caught instanceof DomainError) throw caught;
          // A file-system error's message holds the absolute path of the store: show only its code.
          const reason = (caught as NodeJS.ErrnoException)?.code ?? 'its files are unreadable';
          throw new PreconditionError(
            `model version ${request.version} could not be loaded: ${reason}`,
          );
        });
      models.set(request.handle, { model, inputSize: metadata.inputSize });
      return { id: request.id, type: 'ok' };
    }
    case 'score': {
      const { model, inputSize } = modelOf(request.handle);
      const probabilities = tf.tidy(() => {
        const input = tf.tensor4d(request.inputs, [request.count, inputSize, inputSize, 3]);
        return tf.sigmoid(model.predict(input) as tf.Tensor);
      });
      try {
        return {
          id: request.id,
          type: 'scores',
          probabilities: (await probabilities.data()) as Float32Array,
        };
      } finally {
        probabilities.dispose();
      }
    }
    case 'unload':
      models.get(request.handle)?.model.dispose();
      models.delete(request.handle);
      return { id: request.id, type: 'ok' };
    case 'memory':
      return { id: request.id, type: 'ok', value: tf.memory() };
  }
}

port.on('message', (request: InferenceRequest) => {
  answer(request).then(
    (reply) => {
      const transfer = reply.type === 'scores' ? [reply.probabilities.buffer as ArrayBuffer] : [];
      port.postMessage(reply, transfer);
    },
    (caught: unknown) => port.postMessage({ id: request.id, ...toErrorMessage(caught) }),
  );
});
