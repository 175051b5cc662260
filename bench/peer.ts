/**
 * Runs the PyTorch peer (`../shared/bench/torch_ref.py`) so that the benchmark
 * reports TensorFlow.js figures beside the framework the reference work used.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Where the peer script and its interpreter live: `../shared/bench/torch_ref.py` beside the
 * checkout unless `LABELWISE_PEER_SCRIPT` names another; Debian's python3-torch provides torch.
 */
export const PEER_SCRIPT_PATH =
  process.env.LABELWISE_PEER_SCRIPT ??
  fileURLToPath(new URL('../../../shared/bench/torch_ref.py', import.meta.url));
const PYTHON_PATH = '/usr/bin/python3';
const PEER_TIMEOUT_MS = 15 * 60 * 1000;

/** One architecture as torch_ref.py names it. */
export type PeerArchitecture = 'small' | 'seed';

/** What the peer measured, or why it could not. */
export type PeerResult =
  | { available: true; trainImagesPerSecond: number; inferImagesPerSecond: number; engine: string }
  | { available: false; reason: string };

/** The JSON line torch_ref.py prints. */
interface PeerOutput {
  engine: string;
  train_img_s: number;
  infer_img_s: number;
  f1_micro?: number;
  f1_macro?: number;
}

/** Runs torch_ref.py with `args`; the parsed output, or why there is none. Never throws. */
function runPeerScript(args: string[]): PeerOutput | { reason: string } {
  const child = spawnSync(PYTHON_PATH, [PEER_SCRIPT_PATH, ...args], {
    encoding: 'utf8',
    timeout: PEER_TIMEOUT_MS,
  });
  if (child.error !== undefined) return { reason: child.error.message };
  if (child.status !== 0) {
    const lastLine = child.stderr.trim().split('\n').pop() ?? '';
    return { reason: `exit ${child.status}: ${lastLine}` };
  }
  try {
    return JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as PeerOutput;
  } catch {
    return { reason: 'unreadable output' };
  }
}

/** Runs the peer on random data with the benchmark's settings; never throws. */
export function runPeer(
  architecture: PeerArchitecture,
  options: { size: number; batch: number; threads: number },
): PeerResult {
  const output = runPeerScript([
    '--synthetic',
    '--arch',
    architecture,
    '--size',
    String(options.size),
    '--batch',
    String(options.batch),
    '--threads',
    String(options.threads),
  ]);
  if ('reason' in output) return { available: false, reason: output.reason };
  return {
    available: true,
    trainImagesPerSecond: output.train_img_s,
    inferImagesPerSecond: output.infer_img_s,
    engine: output.engine,
  };
}

/** What the peer measured when trained on a data set, or why it could not. */
export type PeerDataResult =
  | {
      available: true;
      trainImagesPerSecond: number;
      testF1MicroAt02: number;
      testF1MacroAt02: number;
      wallSeconds: number;
    }
  | { available: false; reason: string };

/**
 * Trains the peer on a data set in the reference format (`manifest.xlsx` and `images/` in
 * `dataDir`) and reports its test-split F1 at threshold 0.2; never throws.
 */
export function runPeerOnData(
  dataDir: string,
  options: {
    architecture: PeerArchitecture;
    epochs: number;
    threads: number;
    size: number;
    batch: number;
  },
): PeerDataResult {
  const startMs = Date.now();
  const output = runPeerScript([
    dataDir,
    '--arch',
    options.architecture,
    '--epochs',
    String(options.epochs),
    '--threads',
    String(options.threads),
    '--size',
    String(options.size),
    '--batch',
    String(options.batch),
  ]);
  if ('reason' in output) return { available: false, reason: output.reason };
  return {
    available: true,
    trainImagesPerSecond: output.train_img_s,
    testF1MicroAt02: output.f1_micro ?? NaN,
    testF1MacroAt02: output.f1_macro ?? NaN,
    wallSeconds: Math.round((Date.now() - startMs) / 1000),
  };
}
