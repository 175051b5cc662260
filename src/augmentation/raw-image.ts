/**
 * Decoded images as the augmentation operations pass them along: 8-bit pixels, row-major,
 * channels interleaved. Keeping images raw between operations avoids re-encoding at every step.
 */
import sharp, { type Sharp } from 'sharp';

import type { SeededRandom } from '../util/seeded-random.js';

/** An 8-bit image: `data[(y * width + x) * channels + c]`. */
export interface RawImage {
  data: Buffer;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA). */
  channels: number;
}

/** An augmentation operation: a seeded, size- and channel-preserving change of an image. */
export type AugmentOperation = (image: RawImage, random: SeededRandom) => Promise<RawImage>;

/** A sharp pipeline reading `image`. */
export function sharpFromRaw(image: RawImage): Sharp {
  const { width, height } = image;
  return sharp(image.data, { raw: { width, height, channels: asChannels(image.channels) } });
}

/**
 * Runs `image` through the sharp operations `build` adds and returns the raw result with the
 * input's channel count: several libvips operations turn grey into sRGB or add an alpha channel
 * (composite does both), which would break the operations that follow.
 */
export async function transformWithSharp(
  image: RawImage,
  build: (pipeline: Sharp) => Sharp,
): Promise<RawImage> {
  let pipeline = build(sharpFromRaw(image));
  const hasAlpha = image.channels === 2 || image.channels === 4;
  pipeline = image.channels <= 2 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
  pipeline = hasAlpha ? pipeline.ensureAlpha() : pipeline.removeAlpha();
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== image.channels) {
    throw new Error(`sharp returned ${info.channels} channels instead of ${image.channels}`);
  }
  return { data, width: info.width, height: info.height, channels: image.channels };
}

/** Decodes an image file (EXIF orientation applied) into a RawImage. */
export async function readRawImage(filePath: string): Promise<RawImage> {
  const { data, info } = await sharp(filePath).rotate().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: asChannels(info.channels) };
}

/** A blank image of the same shape, for operations that compute every pixel themselves. */
export function blankLike(image: RawImage): RawImage {
  return { ...image, data: Buffer.alloc(image.data.length) };
}

function asChannels(channels: number): 1 | 2 | 3 | 4 {
  if (channels === 1 || channels === 2 || channels === 3 || channels === 4) return channels;
  throw new Error(`unsupported channel count ${channels}`);
}
