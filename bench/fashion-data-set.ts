/**
 * Builds the benchmark data set from real images: Debian's dataset-fashion-mnist package. Each
 * benchmark image is a 64x64 RGB canvas holding one to four tinted Fashion-MNIST items at random
 * places; its labels are the items' classes. Classes are drawn with falling probabilities, so the
 * labels are multiple and imbalanced like the reference data. The set is written in the reference
 * format (manifest.xlsx with id, split, target, target_class, and images/), which the PyTorch
 * peer reads as well.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { writeManifest } from '../src/data/manifest-writer.js';
import type { ManifestRow } from '../src/data/manifest-row.js';
import { SeededRandom } from '../src/util/seeded-random.js';

const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const CLASS_NAMES = [
  't-shirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'boot',
];
/** Chance that an image holds an item of each class: from common to rare (about 40:1). */
const CLASS_RATES = [0.5, 0.36, 0.26, 0.19, 0.14, 0.1, 0.07, 0.045, 0.027, 0.013];
const CANVAS_PX = 64;
const ITEM_PX = 28;
const MAX_ITEMS = 4;

interface FashionImages {
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
}

async function readFashion(prefix: 'train' | 't10k'): Promise<FashionImages> {
  const images = gunzipSync(
    await readFile(path.join(FASHION_DIR, `${prefix}-images-idx3-ubyte.gz`)),
  );
  const labels = gunzipSync(
    await readFile(path.join(FASHION_DIR, `${prefix}-labels-idx1-ubyte.gz`)),
  );
  // IDX files: a big-endian header (magic, counts, sizes), then the raw bytes.
  return { pixels: images.subarray(16), labels: labels.subarray(8), count: images.readUInt32BE(4) };
}

/** The manifest path of a built set; builds it first unless it exists. */
export async function buildFashionDataSet(
  directory: string,
  imageCount: number,
  seed = 11,
): Promise<string> {
  const manifestPath = path.join(directory, 'manifest.xlsx');
  if (existsSync(manifestPath)) return manifestPath;
  if (!existsSync(FASHION_DIR)) {
    throw new Error(`${FASHION_DIR} is missing: apt-get install dataset-fashion-mnist`);
  }
  const fashion = await readFashion('train');
  const byClass = CLASS_NAMES.map(() => [] as number[]);
  for (let i = 0; i < fashion.count; i++) byClass[fashion.labels[i] as number]?.push(i);
  const random = new SeededRandom(seed);
  await mkdir(path.join(directory, 'images'), { recursive: true });

  const rows: ManifestRow[] = [];
  for (let n = 0; n < imageCount; n++) {
    let classes = CLASS_RATES.flatMap((rate, c) => (random.chance(rate) ? [c] : []));
    if (classes.length === 0) classes = [random.integer(0, 2)];
    classes = random.shuffle(classes).slice(0, MAX_ITEMS);
    const canvas = new Uint8Array(CANVAS_PX * CANVAS_PX * 3);
    const background = random.integer(0, 60);
    canvas.fill(background);
    for (const c of classes) {
      const pool = byClass[c] as number[];
      const item = pool[random.integer(0, pool.length - 1)] as number;
      const tint = [random.uniform(0.5, 1), random.uniform(0.5, 1), random.uniform(0.5, 1)];
      const left = random.integer(0, CANVAS_PX - ITEM_PX);
      const top = random.integer(0, CANVAS_PX - ITEM_PX);
      for (let y = 0; y < ITEM_PX; y++) {
        for (let x = 0; x < ITEM_PX; x++) {
          const value = fashion.pixels[item * ITEM_PX * ITEM_PX + y * ITEM_PX + x] as number;
          if (value < 30) continue;
          const at = ((top + y) * CANVAS_PX + left + x) * 3;
          for (let k = 0; k < 3; k++) canvas[at + k] = Math.round(value * (tint[k] as number));
        }
      }
    }
    const id = `f${String(n).padStart(6, '0')}.png`;
    await sharp(canvas, { raw: { width: CANVAS_PX, height: CANVAS_PX, channels: 3 } })
      .png()
      .toFile(path.join(directory, 'images', id));
    rows.push({
      row: n + 2,
      id,
      split: random.chance(0.2) ? 'test' : 'train',
      labels: classes.map((c) => CLASS_NAMES[c] as string).sort(),
    });
  }
  await writeManifest(manifestPath, { rows, labelNames: [...CLASS_NAMES].sort() });
  return manifestPath;
}
