/**
 * A fixed, model-free image descriptor for clustering when no trained network is available: colour
 * histograms say what colours an image holds, a tiny thumbnail says roughly where they are.
 */
import sharp from 'sharp';

/** Bins of each channel's histogram. */
export const HISTOGRAM_BINS = 16;
/** Side of the RGB thumbnail, in pixels. */
export const THUMBNAIL_SIDE_PX = 8;
/** Side the image is shrunk to before the histograms are counted, in pixels. */
const HISTOGRAM_SIDE_PX = 64;
/** Length of every descriptor: 3 histograms, then the thumbnail's RGB values row by row. */
export const DESCRIPTOR_LENGTH = 3 * HISTOGRAM_BINS + 3 * THUMBNAIL_SIDE_PX * THUMBNAIL_SIDE_PX;

/**
 * Describes the image at `filePath` as a Float32Array of DESCRIPTOR_LENGTH values in [0, 1]:
 * three normalised 16-bin histograms (R, G, B; each sums to 1) followed by an 8x8 RGB thumbnail
 * scaled to [0, 1]. Grey images are treated as RGB, alpha is ignored.
 *
 * @throws whatever sharp throws for a missing or undecodable file.
 */
export async function describeImage(filePath: string): Promise<Float32Array> {
  // Counting histograms on a 64x64 copy is far cheaper than on the full image and, for JPEG,
  // lets libjpeg decode at reduced scale; the shape of the histogram barely changes.
  const { data: small } = await sharp(filePath)
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .resize(HISTOGRAM_SIDE_PX, HISTOGRAM_SIDE_PX, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { data: thumbnail } = await sharp(small, {
    raw: { width: HISTOGRAM_SIDE_PX, height: HISTOGRAM_SIDE_PX, channels: 3 },
  })
    .resize(THUMBNAIL_SIDE_PX, THUMBNAIL_SIDE_PX, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });

  const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
  const pixelCount = small.length / 3;
  for (let i = 0; i < small.length; i++) {
    const bin = ((small[i] as number) * HISTOGRAM_BINS) >> 8;
    (descriptor[(i % 3) * HISTOGRAM_BINS + bin] as number) += 1 / pixelCount;
  }
  const thumbnailOffset = 3 * HISTOGRAM_BINS;
  for (let i = 0; i < thumbnail.length; i++) {
    descriptor[thumbnailOffset + i] = (thumbnail[i] as number) / 255;
  }
  return descriptor;
}

/**
 * Describes a batch of images; a feature extractor for `clusterDataSet` when there is no model.
 * Rejects if any image cannot be read (the caller retries one by one to name it).
 */
export async function describeImages(filePaths: string[]): Promise<Float32Array[]> {
  return Promise.all(filePaths.map((filePath) => describeImage(filePath)));
}
