/**
 * Synthetic images for the clustering and augmentation tests: squares of one dominant colour with
 * seeded noise, so that three colour families form three obvious groups.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ExecutionContext } from 'ava';
import sharp from 'sharp';

import type { RawImage } from '../../src/augmentation/raw-image.js';
import { SeededRandom } from '../../src/util/seeded-random.js';

/** Base colours of the three families. */
export const FAMILY_COLOURS = {
  red: [200, 40, 40],
  green: [40, 200, 40],
  blue: [40, 40, 200],
} as const;

/** A noisy square of `colour` with a brighter diagonal band, so it has structure to change. */
export function noisySquare(colour: readonly number[], sidePx: number, seed: number): RawImage {
  const random = new SeededRandom(seed);
  const data = Buffer.alloc(sidePx * sidePx * 3);
  for (let y = 0; y < sidePx; y++) {
    for (let x = 0; x < sidePx; x++) {
      const band = Math.abs(x - y) < sidePx / 8 ? 40 : 0;
      for (let c = 0; c < 3; c++) {
        const level = (colour[c] as number) + band + random.integer(-30, 30) + (x * 20) / sidePx;
        data[(y * sidePx + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(level)));
      }
    }
  }
  return { data, width: sidePx, height: sidePx, channels: 3 };
}

/** Writes `image` as a PNG file. */
export async function writePng(image: RawImage, filePath: string): Promise<void> {
  const { width, height } = image;
  await sharp(image.data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(filePath);
}

/** A temporary folder removed when the test ends. */
export async function temporaryDir(t: ExecutionContext): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'labelwise-test-'));
  t.teardown(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/**
 * Writes `perFamily` images of each colour family into `directory` and returns their ids
 * (`red-0.png`, ...) by family.
 */
export async function writeFamilies(
  directory: string,
  perFamily: number,
  sidePx = 32,
): Promise<Record<keyof typeof FAMILY_COLOURS, string[]>> {
  const ids = { red: [] as string[], green: [] as string[], blue: [] as string[] };
  let seed = 1;
  for (const family of Object.keys(FAMILY_COLOURS) as (keyof typeof FAMILY_COLOURS)[]) {
    for (let i = 0; i < perFamily; i++) {
      const id = `${family}-${i}.png`;
      await writePng(noisySquare(FAMILY_COLOURS[family], sidePx, seed++), path.join(directory, id));
      ids[family].push(id);
    }
  }
  return ids;
}
