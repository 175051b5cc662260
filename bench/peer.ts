/**
 * Runs the PyTorch peer (`/work/shared/bench/torch_ref.py --synthetic`) so that the benchmark
 * reports TensorFlow.js figures beside the framework the reference work used.
 */
import { spawnSync } from 'node:child_process';

/** Where the peer script and its interpreter live; Debian's python3-torch provides torch. */
export const PEER_SCRIPT_PATH = '/work/shared/bench/torch_ref.py';
const PYTHON_PATH = '/usr/bin/python3';
const PEER_TIMEOUT_MS = 15 * 60 * 1000;

/** One architecture as torch_ref.py names it. */
export type PeerArchitecture = 'small' | 'seed';

/** What the peer measured, or why it could not. */
export type PeerResult =
  | { available: true; trainImagesPerSecond: number; inferImagesPerSecond: number; engine: string }
  | { available: false; reason: string };

/** Runs the peer on random data with the benchmark's settings; never throws. */
export function runPeer(
  architecture: PeerArchitecture,
  options: { size: number; batch: number; threads: number },
): PeerResult {
  const args = [
    PEER_SCRIPT_PATH,
    '--synthetic',
    '--arch',
    architecture,
    '--size',
    String(options.size),
    '--batch',
    String(options.batch),
    '--threads',
    String(options.threads),
  ];
  const child = spawnSync(PYTHON_PATH, args, { encoding: 'utf8', timeout: PEER_TIMEOUT_MS });
  if (child.error !== undefined) return { available: false, reason: child.error.message };
  if (child.status !== 0) {
    const lastLine = child.stderr.trim().split('\n').pop() ?? '';
    return { available: false, reason: `exit ${child.status}: ${lastLine}` };
  }
  try {
    const parsed = JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as {
      train_img_s: number;
      infer_img_s: number;
      engine: string;
    };
    return {
      available: true,
      trainImagesPerSecond: parsed.train_img_s,
      inferImagesPerSecond: parsed.infer_img_s,
      engine: parsed.engine,
    };
  } catch {
    return { available: false, reason: 'unreadable output' };
  }
}
