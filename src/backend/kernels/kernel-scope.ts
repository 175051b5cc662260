/**
 * The scaffolding every composite wasm kernel here shares: running other wasm kernels from inside
 * a kernel with their intermediates freed, and checking the inputs and attributes it is given.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type KernelBackend,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/** The name the wasm backend registers its kernels under. */
export const BACKEND_NAME = 'wasm';

/** An NHWC image batch's or an HWIO filter's shape. */
export type Shape4D = [number, number, number, number];

/**
 * Runs other wasm kernels from inside a kernel and frees what they return, so that a composite
 * kernel creates no engine tensors and leaves nothing behind but its output.
 */
export class KernelScope {
  private readonly intermediates: TensorInfo[] = [];

  constructor(private readonly backend: KernelBackend) {}

  /** Runs kernel `name` on the wasm backend; the result is freed by `dispose` unless kept. */
  run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const config = tf.getKernel(name, BACKEND_NAME);
    if (config === undefined) throw new Error(`the wasm backend has no ${name} kernel`);
    const output = config.kernelFunc({ inputs, attrs, backend: this.backend });
    const single = Array.isArray(output) ? output[0] : output;
    if (single === undefined) throw new Error(`kernel ${name} returned nothing`);
    this.intermediates.push(single);
    return single;
  }

  /** Transposes `x` by `perm`. */
  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run(tf.Transpose, { x }, { perm });
  }

  /** Reshapes `x` to `shape`, which has as many elements. */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run(tf.Reshape, { x }, { shape });
  }

  /** Frees every intermediate except `output`, which the engine adopts. */
  finish(output: TensorInfo): TensorInfo {
    for (const info of this.intermediates) {
      if (info !== output) this.backend.disposeData(info.dataId);
    }
    return output;
  }

  /** Frees every intermediate after a failure. */
  abandon(): void {
    for (const info of this.intermediates) this.backend.disposeData(info.dataId);
  }
}

/** Runs `body` in a fresh scope; intermediates are freed whether it returns or throws. */
export function withScope(
  backend: KernelBackend,
  body: (scope: KernelScope) => TensorInfo,
): TensorInfo {
  const scope = new KernelScope(backend);
  try {
    return scope.finish(body(scope));
  } catch (caught) {
    scope.abandon();
    throw caught;
  }
}

/** Throws unless `dataFormat` is NHWC (or absent, which means NHWC). */
export function requireNhwc(dataFormat: string | undefined, kernel: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`wasm ${kernel} supports NHWC only, not ${dataFormat}`);
  }
}

/** The kernel input called `name`; throws if the engine did not pass it. */
export function requireTensor(inputs: NamedTensorInfoMap, name: string): TensorInfo {
  const info = inputs[name];
  if (info === undefined) throw new Error(`missing kernel input ${name}`);
  return info;
}
