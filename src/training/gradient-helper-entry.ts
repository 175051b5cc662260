/**
 * The gradient helper thread: holds a copy of the model being trained and, for each step,
 * computes the loss gradients of the half batch it is sent at the weights it is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend/select-backend.js';
import { toErrorMessage } from '../jobs/worker-protocol.js';
import { buildModel } from '../models/architectures.js';
import type {
  GradientHelperData,
  GradientReply,
  GradientRequest,
} from './gradient-helper-protocol.js';
import { createLoss } from './losses.js';

const port = parentPort;
if (port === null) throw new Error('the gradient helper must run in a worker thread');
const data = workerData as GradientHelperData;
await selectBackend(data.backend);
const model = buildModel(data.architecture, data.inputSize, data.labelCount);
const loss = createLoss(data.loss, {
  positive: data.positiveWeights,
  negative: data.negativeWeights,
});
const shapes = model.getWeights().map((weight) => weight.shape);
const trainable = model.trainableWeights.map((weight) => weight.read() as tf.Variable);

function gradients(request: GradientRequest): GradientReply {
  let lossValue = 0;
  let values: Float32Array[] = [];
  tf.tidy(() => {
    model.setWeights(request.weights.map((weights, i) => tf.tensor(weights, shapes[i])));
    const size = data.inputSize;
    const images = tf.tensor4d(request.images, [request.count, size, size, 3]);
    const labels = tf.tensor2d(request.labels, [request.count, data.labelCount]);
    const { value, grads } = tf.variableGrads(
      () => loss(labels, model.apply(images, { training: true }) as tf.Tensor2D),
      trainable,
    );
    lossValue = value.dataSync()[0] as number;
    values = trainable.map(
      (variable) => (grads[variable.name] as tf.Tensor).dataSync().slice() as Float32Array,
    );
  });
  return { type: 'gradients', loss: lossValue, gradients: values };
}

port.on('message', (request: GradientRequest) => {
  try {
    const reply = gradients(request);
    const transfer =
      reply.type === 'gradients' ? reply.gradients.map((g) => g.buffer as ArrayBuffer) : [];
    port.postMessage(reply, transfer);
  } catch (caught) {
    port.postMessage(toErrorMessage(caught));
  }
});
