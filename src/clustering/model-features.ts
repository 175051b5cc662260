/**
 * Image features from a stored model: the activations of its `features` layer (the input of the
 * output layer) for layers models, or the whole output of a graph model a user put in the store
 * as a feature extractor (a converted ResNet, say).
 */
import * as tf from '@tensorflow/tfjs-core';
import { model as functionalModel, type LayersModel } from '@tensorflow/tfjs-layers';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { FEATURES_LAYER_NAME } from '../models/architectures.js';
import { decodeImage } from '../serving/image-decoder.js';
import type { ModelStore } from '../store/model-store.js';
import { imageBatch } from '../training/image-batch.js';

const MAX_IMAGE_PIXELS = 100_000_000;

/** A loaded feature extractor; `dispose` frees its weights. */
export interface ModelFeatureExtractor {
  extract(filePaths: string[]): Promise<Float32Array[]>;
  dispose(): void;
}

function featureModelOf(model: LayersModel | GraphModel): (input: tf.Tensor4D) => tf.Tensor {
  if ('getLayer' in model) {
    const hasFeatures = model.layers.some((layer) => layer.name === FEATURES_LAYER_NAME);
    const features = hasFeatures ? model.getLayer(FEATURES_LAYER_NAME).output : model.outputs[0];
    const extractor = functionalModel({ inputs: model.inputs, outputs: features as never });
    return (input) => extractor.predict(input) as tf.Tensor;
  }
  return (input) => model.predict(input) as tf.Tensor;
}

/** Loads `version` from `store` as a feature extractor. */
export async function loadModelFeatureExtractor(
  store: ModelStore,
  version: string,
): Promise<ModelFeatureExtractor> {
  const { model, metadata } = await store.loadModel(version);
  const sizePx = metadata.inputSize;
  const predict = featureModelOf(model);
  return {
    async extract(filePaths) {
      const images = await Promise.all(
        filePaths.map((file) =>
          decodeImage(file, sizePx, 'an image', { maxImagePixels: MAX_IMAGE_PIXELS }),
        ),
      );
      const pixels = new Uint8Array(images.length * sizePx * sizePx * 3);
      images.forEach((image, i) => pixels.set(image, i * image.length));
      const output = tf.tidy(() => {
        const features = predict(
          imageBatch(
            pixels,
            sizePx,
            images.map((_, i) => i),
          ),
        );
        return tf.reshape(features, [images.length, -1]);
      });
      const values = (await output.data()) as Float32Array;
      const width = output.shape[1] as number;
      output.dispose();
      return images.map((_, i) => values.slice(i * width, (i + 1) * width));
    },
    dispose: () => model.dispose(),
  };
}
