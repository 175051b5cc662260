/**
 * The network architectures the service can train, by name.
 *
 * Every model takes float32 images [batch, size, size, 3] scaled to [0, 1] and returns raw logits
 * [batch, labelCount]: callers apply the sigmoid, and the loss works on logits. The input of the
 * output layer is always a layer named `features`, from which clustering reads penultimate
 * activations.
 */
import { initializers, input, layers, model, type LayersModel } from '@tensorflow/tfjs-layers';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers';
import { InvalidInputError } from '../errors/domain-errors.js';

/** The name of the layer whose output is the penultimate representation of an image. */
export const FEATURES_LAYER_NAME = 'features';

/** One architecture the service can build, with a sentence for operators choosing between them. */
export interface ArchitectureInfo {
  name: string;
  description: string;
}

/** The architectures `buildModel` accepts, default first. */
export const ARCHITECTURES: readonly ArchitectureInfo[] = [
  {
    name: 'small-cnn',
    description:
      'fast CPU model: a stride-2 conv3x3 stem (16) and average pool to a quarter of the ' +
      'resolution, then conv3x3-ReLU-BatchNorm-AvgPool blocks (32, 64, 128), global average ' +
      'pool, linear; about 4x the training speed of reference-cnn',
  },
  {
    name: 'reference-cnn',
    description:
      'benchmark reference: four conv3x3-ReLU-BatchNorm-AvgPool blocks (16, 32, 64, 128), ' +
      'global average pool, linear (torch_ref.py --arch small)',
  },
  {
    name: 'seed-cnn',
    description:
      "the study's network: seven conv3x3 (padding 3)-ReLU-BatchNorm blocks (16..1024) with " +
      'average pooling between them, global average pool, dense 512 ReLU, linear ' +
      '(torch_ref.py --arch seed); slow on CPU',
  },
];

/** Gives each weighted layer its own seed, so that a model's initial weights are reproducible. */
class SeedSequence {
  private next: number;

  constructor(seed: number | undefined) {
    this.next = seed ?? Math.floor(Math.random() * 2 ** 31);
  }

  /** He-normal initialisation suits ReLU networks; PyTorch's default is close in scale. */
  heNormal(): ReturnType<typeof initializers.heNormal> {
    return initializers.heNormal({ seed: this.next++ });
  }

  glorotUniform(): ReturnType<typeof initializers.glorotUniform> {
    return initializers.glorotUniform({ seed: this.next++ });
  }
}

interface ConvBlockOptions {
  filters: number;
  strides?: number;
  zeroPadding?: number;
  pool: boolean;
}

/** conv3x3 -> ReLU -> BatchNorm [-> AvgPool2x2], the block order of torch_ref.py. */
function convBlock(
  x: SymbolicTensor,
  options: ConvBlockOptions,
  seeds: SeedSequence,
  name: string,
): SymbolicTensor {
  let y = x;
  if (options.zeroPadding !== undefined) {
    const padding = options.zeroPadding;
    y = layers.zeroPadding2d({ padding, name: `${name}_pad` }).apply(y) as SymbolicTensor;
  }
  y = layers
    .conv2d({
      filters: options.filters,
      kernelSize: 3,
      strides: options.strides ?? 1,
      padding: options.zeroPadding === undefined ? 'same' : 'valid',
      activation: 'relu',
      kernelInitializer: seeds.heNormal(),
      name: `${name}_conv`,
    })
    .apply(y) as SymbolicTensor;
  // PyTorch's BatchNorm2d defaults: momentum 0.1 (Keras counts it the other way) and eps 1e-5.
  y = layers
    .batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: `${name}_bn` })
    .apply(y) as SymbolicTensor;
  if (options.pool) {
    y = layers
      .averagePooling2d({ poolSize: 2, strides: 2, name: `${name}_pool` })
      .apply(y) as SymbolicTensor;
  }
  return y;
}

function logits(features: SymbolicTensor, labelCount: number, seeds: SeedSequence): SymbolicTensor {
  return layers
    .dense({ units: labelCount, kernelInitializer: seeds.glorotUniform(), name: 'logits' })
    .apply(features) as SymbolicTensor;
}

function globalPool(x: SymbolicTensor, name: string): SymbolicTensor {
  return layers.globalAveragePooling2d({ name }).apply(x) as SymbolicTensor;
}

function referenceCnn(
  image: SymbolicTensor,
  labelCount: number,
  seeds: SeedSequence,
): SymbolicTensor {
  let x = image;
  [16, 32, 64, 128].forEach((filters, index) => {
    x = convBlock(x, { filters, pool: true }, seeds, `block${index + 1}`);
  });
  return logits(globalPool(x, FEATURES_LAYER_NAME), labelCount, seeds);
}

function seedCnn(image: SymbolicTensor, labelCount: number, seeds: SeedSequence): SymbolicTensor {
  const widths = [16, 32, 64, 128, 256, 512, 1024];
  let x = image;
  widths.forEach((filters, index) => {
    const pool = index < widths.length - 1;
    x = convBlock(x, { filters, zeroPadding: 3, pool }, seeds, `block${index + 1}`);
  });
  const pooled = globalPool(x, 'global_pool');
  const features = layers
    .dense({
      units: 512,
      activation: 'relu',
      kernelInitializer: seeds.heNormal(),
      name: FEATURES_LAYER_NAME,
    })
    .apply(pooled) as SymbolicTensor;
  return logits(features, labelCount, seeds);
}

function smallCnn(image: SymbolicTensor, labelCount: number, seeds: SeedSequence): SymbolicTensor {
  // A stride-2 stem and a pool bring 64 px images to 16 px before the first wide layer, as
  // ResNet's stem does: the reference widths at a quarter of the resolution train about 4x
  // faster on wasm (bench/train-speed.ts). The stem needs no input gradient, so its backward
  // pass is the filter gradient alone.
  let x = convBlock(image, { filters: 16, strides: 2, pool: true }, seeds, 'stem');
  [32, 64, 128].forEach((filters, index) => {
    x = convBlock(x, { filters, pool: true }, seeds, `block${index + 1}`);
  });
  return logits(globalPool(x, FEATURES_LAYER_NAME), labelCount, seeds);
}

type Builder = (image: SymbolicTensor, labelCount: number, seeds: SeedSequence) => SymbolicTensor;

const BUILDERS: Record<string, Builder> = {
  'small-cnn': smallCnn,
  'reference-cnn': referenceCnn,
  'seed-cnn': seedCnn,
};

/**
 * Builds an untrained model of the named architecture for square images of `inputSize` pixels
 * and `labelCount` labels. The same `seed` gives the same initial weights. Throws
 * InvalidInputError for an unknown name, listing the valid ones.
 */
export function buildModel(
  architecture: string,
  inputSize: number,
  labelCount: number,
  seed?: number,
): LayersModel {
  const builder = Object.hasOwn(BUILDERS, architecture) ? BUILDERS[architecture] : undefined;
  if (builder === undefined) {
    const valid = ARCHITECTURES.map((info) => info.name).join(', ');
    throw new InvalidInputError(`unknown architecture "${architecture}"; expected one of ${valid}`);
  }
  if (!Number.isInteger(inputSize) || inputSize < 8) {
    throw new InvalidInputError(`input size ${inputSize} must be an integer of at least 8 pixels`);
  }
  if (!Number.isInteger(labelCount) || labelCount < 1) {
    throw new InvalidInputError(`label count ${labelCount} must be a positive integer`);
  }
  const image = input({ shape: [inputSize, inputSize, 3], dtype: 'float32', name: 'image' });
  const output = builder(image, labelCount, new SeedSequence(seed));
  return model({ inputs: image, outputs: output, name: architecture });
}

/** The names of the architectures, for validation and help text. */
export function architectureNames(): string[] {
  return ARCHITECTURES.map((info) => info.name);
}
