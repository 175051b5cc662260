/**
 * Encoded test images made with sharp.
 */
import sharp from 'sharp';

/** A solid-colour image in `format`. */
export async function solidImage(
  rgb: [number, number, number],
  format: 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' = 'png',
  widthPx = 40,
  heightPx = 30,
): Promise<Buffer> {
  return sharp({
    create: {
      width: widthPx,
      height: heightPx,
      channels: 3,
      background: { r: rgb[0], g: rgb[1], b: rgb[2] },
    },
  })
    .toFormat(format)
    .toBuffer();
}
