/**
 * Inverse mapping for the geometric operations (perspective, elastic) that sharp cannot express:
 * every output pixel is read from a computed source position with bilinear interpolation.
 */
import { type RawImage, blankLike } from './raw-image.js';

/**
 * Where an output pixel (x, y) comes from, in source pixel coordinates (pixel centres at integer
 * positions). Writes the position into `into` to avoid an allocation per pixel.
 */
export type SourceMapping = (x: number, y: number, into: Float64Array) => void;

/**
 * A new image of the same size whose pixel (x, y) is the source bilinearly sampled at
 * `mapping(x, y)`. Positions outside the source read as black (and transparent), the constant
 * fill imgaug uses for these operations.
 */
export function remapBilinear(source: RawImage, mapping: SourceMapping): RawImage {
  const { width, height, channels, data } = source;
  const output = blankLike(source);
  const position = new Float64Array(2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      mapping(x, y, position);
      const sourceX = position[0] as number;
      const sourceY = position[1] as number;
      const left = Math.floor(sourceX);
      const top = Math.floor(sourceY);
      const fractionX = sourceX - left;
      const fractionY = sourceY - top;
      const outputOffset = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) {
        const at = (px: number, py: number): number =>
          px < 0 || py < 0 || px >= width || py >= height
            ? 0
            : (data[(py * width + px) * channels + c] as number);
        const upper = at(left, top) * (1 - fractionX) + at(left + 1, top) * fractionX;
        const lower = at(left, top + 1) * (1 - fractionX) + at(left + 1, top + 1) * fractionX;
        output.data[outputOffset + c] = Math.round(upper * (1 - fractionY) + lower * fractionY);
      }
    }
  }
  return output;
}
