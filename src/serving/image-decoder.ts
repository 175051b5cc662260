/**
 * Turns an encoded image (JPEG, PNG, WebP, GIF, TIFF, ...) into the RGB pixels a model takes:
 * decoded and stretched to a square with sharp, as the reference work did.
 */
import sharp from 'sharp';
import { InvalidInputError } from '../errors/domain-errors.js';

/** Limits applied before and during decoding. */
export interface DecodeLimits {
  /** Images declaring more pixels than this are refused before their pixels are decoded. */
  maxImagePixels: number;
}

/**
 * Decodes `source` (encoded bytes, or the path of an image file) and resizes it to `sizePx` x
 * `sizePx` RGB, 8 bits per channel, row-major. Grayscale, CMYK, 16-bit and alpha images are
 * converted; animated images use their first frame. Throws InvalidInputError naming `name` for
 * anything that is not a decodable image.
 */
export async function decodeImage(
  source: Uint8Array | string,
  sizePx: number,
  name: string,
  limits: DecodeLimits,
): Promise<Buffer> {
  if (typeof source !== 'string' && source.length === 0) {
    throw new InvalidInputError(`${name} is empty (0 bytes)`);
  }
  try {
    return await sharp(source, { limitInputPixels: limits.maxImagePixels, failOn: 'error' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .resize(sizePx, sizePx, { fit: 'fill' })
      .raw({ depth: 'uchar' })
      .toBuffer();
  } catch (caught) {
    throw new InvalidInputError(`${name} is not a readable image: ${describeSharpError(caught)}`);
  }
}

function describeSharpError(caught: unknown): string {
  const message = caught instanceof Error ? caught.message : String(caught);
  if (/pixel limit/i.test(message)) return 'its dimensions exceed the pixel limit';
  if (/unsupported image format/i.test(message)) return 'unsupported or unknown format';
  if (/input file is missing/i.test(message)) return 'the file is missing';
  // sharp's messages name libvips internals; keep only the first line for the caller.
  // Absolute paths are dropped so that no path outside the data directory reaches a caller.
  return (message.split('\n')[0] ?? 'decoding failed').replace(/\/[^\s:]+/g, '<file>');
}

/** Converts 8-bit RGB pixels into model inputs in [0, 1], written into `target` at `offset`. */
export function normalizePixels(pixels: Uint8Array, target: Float32Array, offset: number): void {
  for (let i = 0; i < pixels.length; i++) target[offset + i] = (pixels[i] as number) / 255;
}
