/**
 * A known-answer model for tests: it averages the image's RGB channels and maps them linearly to
 * three labels, `red`, `green` and `blue`, so a pure red image scores high on `red` only.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelMetadata } from '../../src/store/model-metadata.js';
import type { ModelStore } from '../../src/store/model-store.js';

export const COLOUR_LABELS = ['red', 'green', 'blue'];

/** Builds the colour model; `gain` scales its confidence so two versions answer differently. */
export function buildColourModel(inputSize: number, gain = 8): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(tfl.layers.globalAveragePooling2d({ inputShape: [inputSize, inputSize, 3] }));
  model.add(tfl.layers.dense({ units: 3, name: 'logits' }));
  // logit_c = gain * (2 * mean_c - sum of the other means) - gain / 2
  const kernel = tf.tensor2d(
    [
      [2, -1, -1],
      [-1, 2, -1],
      [-1, -1, 2],
    ].map((row) => row.map((v) => v * gain)),
  );
  model.layers[1]?.setWeights([kernel, tf.fill([3], -gain / 2)]);
  kernel.dispose();
  return model;
}

/** Metadata for a colour model version. */
export function colourMetadata(
  inputSize: number,
  overrides: Partial<ModelMetadata> = {},
): ModelMetadata {
  return {
    labels: COLOUR_LABELS,
    inputSize,
    normalization: 'scale-0-1',
    threshold: 0.2,
    labelThresholds: {},
    metrics: {},
    architecture: 'colour-test',
    createdAt: new Date().toISOString(),
    jobId: '',
    parentVersion: '',
    format: 'layers',
    ...overrides,
  };
}

/** Saves a colour model version into `store` and returns its version. */
export async function saveColourModel(
  store: ModelStore,
  inputSize = 16,
  gain = 8,
  overrides: Partial<ModelMetadata> = {},
): Promise<string> {
  const model = buildColourModel(inputSize, gain);
  try {
    return await store.saveModel(model, colourMetadata(inputSize, overrides));
  } finally {
    model.dispose();
  }
}
