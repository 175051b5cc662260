import * as tf from '@tensorflow/tfjs-core';
import test from 'ava';
import { selectBackend } from '../src/backend/select-backend.js';
import { setLogLevel } from '../src/logging/logger.js';
import { buildModel } from '../src/models/architectures.js';
import { trainLoop, type TrainLoopInput } from '../src/training/train-loop.js';
import { TRAIN_DEFAULTS } from '../src/training/train-options.js';
import { SeededRandom } from '../src/util/seeded-random.js';

const SIZE_PX = 32;
const LABELS = ['a', 'b', 'c'];

function loopInput(model: TrainLoopInput['model'], helperBackend?: string): TrainLoopInput {
  const random = new SeededRandom(4);
  const count = 40;
  const pixels = Uint8Array.from({ length: count * SIZE_PX * SIZE_PX * 3 }, () =>
    random.integer(0, 255),
  );
  const targets = Uint8Array.from({ length: count * LABELS.length }, (_, i) =>
    i % 4 === 0 ? 1 : 0,
  );
  return {
    model,
    pixels,
    sizePx: SIZE_PX,
    targets,
    labelNames: LABELS,
    trainIndices: Array.from({ length: 32 }, (_, i) => i),
    validationIndices: Array.from({ length: 8 }, (_, i) => 32 + i),
    options: {
      ...TRAIN_DEFAULTS,
      manifestPath: '',
      imageDir: '',
      epochs: 2,
      batchSize: 8,
      inputSize: SIZE_PX,
      activate: false,
    },
    signal: new AbortController().signal,
    report: () => undefined,
    helperBackend,
  };
}

process.env.LABELWISE_LOG_LEVEL ??= 'error';
setLogLevel('error');

// Serial: the tensor count is per process.
for (const [what, helperBackend] of [
  ['on one thread', undefined],
  ['on two threads', 'wasm'],
] as const) {
  test.serial(
    `training ${what} leaves no tensor behind and returns a validation report`,
    async (t) => {
      await selectBackend('wasm');
      const model = buildModel('small-cnn', SIZE_PX, LABELS.length, 1);
      const before = tf.memory().numTensors;
      const result = await trainLoop(loopInput(model, helperBackend));
      t.is(tf.memory().numTensors, before);
      t.is(result.epochsRun, 2);
      t.is(result.validation.labels.length, 3);
      t.is(result.thresholds.length, 3);
      model.dispose();
    },
  );
}
