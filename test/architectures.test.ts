import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import { InvalidInputError } from '../src/errors/domain-errors.js';
import { ARCHITECTURES, FEATURES_LAYER_NAME, buildModel } from '../src/models/architectures.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

for (const { name } of ARCHITECTURES) {
  test(`${name} maps a batch of images to one logit per label`, (t) => {
    const model = buildModel(name, 32, 7, 1);
    t.teardown(() => model.dispose());
    const logits = tf.tidy(() => model.predict(tf.zeros([2, 32, 32, 3])) as tf.Tensor);
    t.deepEqual(logits.shape, [2, 7]);
    logits.dispose();
  });

  test(`${name} has a features layer feeding the output layer`, (t) => {
    const model = buildModel(name, 32, 7, 1);
    t.teardown(() => model.dispose());
    const features = model.getLayer(FEATURES_LAYER_NAME);
    const output = model.layers[model.layers.length - 1];
    t.is(output?.inboundNodes[0]?.inboundLayers[0], features);
    t.is((features.outputShape as number[]).length, 2);
  });
}

test('the same seed gives the same initial weights', (t) => {
  const first = buildModel('small-cnn', 32, 3, 42);
  const second = buildModel('small-cnn', 32, 3, 42);
  t.teardown(() => {
    first.dispose();
    second.dispose();
  });
  const [a, b] = [first, second].map((m) => m.getWeights()[0]!.dataSync());
  t.deepEqual(Array.from(a!), Array.from(b!));
});

test('seed-cnn accepts an input size other than 64', (t) => {
  const model = buildModel('seed-cnn', 48, 2, 1);
  t.teardown(() => model.dispose());
  t.deepEqual(model.outputs[0]?.shape, [null, 2]);
});

test('an unknown architecture is rejected with its name and the valid ones', (t) => {
  const error = t.throws(() => buildModel('resnet-9000', 64, 3), { instanceOf: InvalidInputError });
  t.regex(error?.message ?? '', /resnet-9000/);
  for (const { name } of ARCHITECTURES) t.regex(error?.message ?? '', new RegExp(name));
});
