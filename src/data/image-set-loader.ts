/**
 * Loads the images of manifest rows into one pixel buffer at a model's input size, decoding in
 * parallel (sharp works on its own threads) and skipping files that are missing or unreadable.
 * The buffer is the cache a training job reuses every epoch, so images are decoded only once.
 */
import { CancelledError, InvalidInputError } from '../errors/domain-errors.js';
import { decodeImage } from '../serving/image-decoder.js';
import { resolveImagePath } from '../clustering/image-path.js';
import type { ManifestRow } from './manifest-row.js';

/** Images decoded at once; enough to keep sharp's threads busy without holding many files. */
const DECODE_CONCURRENCY = 8;
/** Images with more pixels than this are treated as unreadable. */
const MAX_IMAGE_PIXELS = 100_000_000;
/** How many skipped images a job message names. */
const NAMED_SKIPS = 5;

/** An image that could not be used, and why. */
export interface SkippedImage {
  id: string;
  reason: string;
}

/** The loaded images of some rows. */
export interface LoadedImages {
  /** The rows whose image loaded, in the order of the request. */
  rows: ManifestRow[];
  /** RGB pixels of `rows`, each `sizePx * sizePx * 3` bytes, concatenated. */
  pixels: Uint8Array;
  sizePx: number;
  skipped: SkippedImage[];
}

/** Options of `loadImageSet`. */
export interface LoadImageSetOptions {
  rows: readonly ManifestRow[];
  /** Absolute image folder the rows' ids are relative to. */
  imageDir: string;
  sizePx: number;
  signal?: AbortSignal;
  /** Called with the fraction of rows done. */
  onProgress?: (fraction: number) => void;
}

/** Decodes the rows' images; unreadable ones are skipped and listed, not fatal. */
export async function loadImageSet(options: LoadImageSetOptions): Promise<LoadedImages> {
  const { rows, imageDir, sizePx, signal } = options;
  const imageBytes = sizePx * sizePx * 3;
  const decoded: (Buffer | undefined)[] = new Array(rows.length);
  const skipped: SkippedImage[] = [];
  let next = 0;
  let done = 0;

  const worker = async (): Promise<void> => {
    for (let index = next++; index < rows.length; index = next++) {
      if (signal?.aborted) throw new CancelledError('the job was cancelled');
      const row = rows[index] as ManifestRow;
      try {
        const file = resolveImagePath(imageDir, row.id);
        decoded[index] = await decodeImage(file, sizePx, `image "${row.id}"`, {
          maxImagePixels: MAX_IMAGE_PIXELS,
        });
      } catch (caught) {
        const reason = caught instanceof Error ? caught.message : String(caught);
        skipped.push({ id: row.id, reason: reason.replace(`image "${row.id}" `, '') });
      }
      done++;
      if (done % 64 === 0 || done === rows.length) options.onProgress?.(done / rows.length);
    }
  };
  await Promise.all(Array.from({ length: DECODE_CONCURRENCY }, worker));

  const keptRows: ManifestRow[] = [];
  const pixels = new Uint8Array((rows.length - skipped.length) * imageBytes);
  decoded.forEach((image, index) => {
    if (image === undefined) return;
    pixels.set(image, keptRows.length * imageBytes);
    keptRows.push(rows[index] as ManifestRow);
  });
  return { rows: keptRows, pixels, sizePx, skipped };
}

/** A sentence naming the first few skipped images, for a job message. */
export function describeSkipped(skipped: readonly SkippedImage[]): string {
  if (skipped.length === 0) return '';
  const named = skipped
    .slice(0, NAMED_SKIPS)
    .map((s) => `"${s.id}" (${s.reason})`)
    .join(', ');
  const more = skipped.length > NAMED_SKIPS ? ` and ${skipped.length - NAMED_SKIPS} more` : '';
  return `skipped ${skipped.length} unreadable image(s): ${named}${more}`;
}

/**
 * Fails when too many images were bad to trust the result: more than `maxSkippedFraction` of
 * `total`, or none left at all. `what` names the set (e.g. "the train split").
 */
export function checkSkipped(
  loaded: LoadedImages,
  total: number,
  what: string,
  maxSkippedFraction = 0.1,
): void {
  if (loaded.rows.length === 0) {
    throw new InvalidInputError(
      `${what} has no readable images; ${describeSkipped(loaded.skipped)}`,
    );
  }
  if (loaded.skipped.length > maxSkippedFraction * total) {
    throw new InvalidInputError(
      `${what}: ${loaded.skipped.length} of ${total} images are unreadable, more than ` +
        `${Math.round(maxSkippedFraction * 100)}%; ${describeSkipped(loaded.skipped)}`,
    );
  }
}
