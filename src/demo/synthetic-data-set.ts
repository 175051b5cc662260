/**
 * A small, generated, imbalanced multi-label image set in the reference format (a manifest with
 * id, split, target, target_class, and a folder of images), for the demo and the tests: nothing
 * has to be downloaded. Each image is a noisy grey background with one to three coloured
 * squares; its labels are the colours present, and some colours are much rarer than others.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { writeManifest } from '../data/manifest-writer.js';
import type { ManifestRow } from '../data/manifest-row.js';
import { SeededRandom } from '../util/seeded-random.js';

/** Label names and how often each appears (probability per image). */
const COLOURS: readonly { label: string; rgb: [number, number, number]; rate: number }[] = [
  { label: 'red', rgb: [220, 30, 30], rate: 0.6 },
  { label: 'green', rgb: [30, 200, 40], rate: 0.35 },
  { label: 'blue', rgb: [30, 50, 220], rate: 0.15 },
  { label: 'yellow', rgb: [230, 220, 40], rate: 0.07 },
];

/** Options of `generateSyntheticDataSet`. */
export interface SyntheticDataSetOptions {
  /** Folder that receives `images/` and the manifest. */
  directory: string;
  imageCount: number;
  seed?: number;
  /** Side of the generated images; they vary from 75% to 125% of it. */
  sizePx?: number;
  /** `manifest.xlsx` or `manifest.csv`. */
  manifestName?: string;
  /** Fraction of rows in the test split. */
  testFraction?: number;
}

/** The label names the generated set uses, in manifest order. */
export const SYNTHETIC_LABELS = COLOURS.map((c) => c.label).sort();

/** Writes the images and manifest; returns the manifest's rows. */
export async function generateSyntheticDataSet(
  options: SyntheticDataSetOptions,
): Promise<ManifestRow[]> {
  const random = new SeededRandom(options.seed ?? 7);
  const baseSizePx = options.sizePx ?? 48;
  const imageDir = path.join(options.directory, 'images');
  await mkdir(imageDir, { recursive: true });
  const rows: ManifestRow[] = [];
  for (let i = 0; i < options.imageCount; i++) {
    let present = COLOURS.filter((c) => random.chance(c.rate));
    if (present.length === 0) present = [COLOURS[random.integer(0, 1)] as (typeof COLOURS)[number]];
    const width = Math.round(baseSizePx * random.uniform(0.75, 1.25));
    const height = Math.round(baseSizePx * random.uniform(0.75, 1.25));
    const pixels = Buffer.alloc(width * height * 3);
    for (let p = 0; p < pixels.length; p++) pixels[p] = 110 + random.integer(0, 40);
    for (const colour of present) {
      const side = Math.round(Math.min(width, height) * random.uniform(0.25, 0.4));
      const left = random.integer(0, width - side);
      const top = random.integer(0, height - side);
      for (let y = top; y < top + side; y++) {
        for (let x = left; x < left + side; x++) pixels.set(colour.rgb, (y * width + x) * 3);
      }
    }
    const id = `img${String(i).padStart(5, '0')}.${i % 2 === 0 ? 'png' : 'jpg'}`;
    const image = sharp(pixels, { raw: { width, height, channels: 3 } });
    await (i % 2 === 0 ? image.png() : image.jpeg({ quality: 92 })).toFile(path.join(imageDir, id));
    rows.push({
      row: i + 2,
      id,
      split: random.chance(options.testFraction ?? 0.2) ? 'test' : 'train',
      labels: present.map((c) => c.label).sort(),
    });
  }
  await writeManifest(path.join(options.directory, options.manifestName ?? 'manifest.xlsx'), {
    rows,
    labelNames: SYNTHETIC_LABELS,
  });
  return rows;
}
