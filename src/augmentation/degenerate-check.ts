/**
 * Catches augmentations whose content collapsed (a black frame from an extreme crop, a flat grey
 * from stacked blurs), which would teach the model that an empty image carries the source's labels.
 */
import type { RawImage } from './raw-image.js';

/** Below this standard deviation (8-bit levels) an image counts as flat. */
export const MIN_STD_LEVELS = 2;
/** A mean brightness further than this from the source's (8-bit levels) counts as collapsed. */
export const MAX_MEAN_SHIFT_LEVELS = 0.35 * 255;
/** A mean brightness under this fraction of the source's counts as collapsed. */
export const MIN_MEAN_FRACTION = 0.25;

/** Mean and standard deviation of all colour samples (alpha excluded), in 8-bit levels. */
export interface IntensityStats {
  mean: number;
  std: number;
}

/** Mean and standard deviation of an image's colour samples. */
export function intensityStats(image: RawImage): IntensityStats {
  const { data, channels } = image;
  const colourChannels = channels === 2 || channels === 4 ? channels - 1 : channels;
  let sum = 0;
  let sumOfSquares = 0;
  let count = 0;
  for (let offset = 0; offset < data.length; offset += channels) {
    for (let c = 0; c < colourChannels; c++) {
      const value = data[offset + c] as number;
      sum += value;
      sumOfSquares += value * value;
      count++;
    }
  }
  const mean = count === 0 ? 0 : sum / count;
  const variance = count === 0 ? 0 : Math.max(0, sumOfSquares / count - mean * mean);
  return { mean, std: Math.sqrt(variance) };
}

/**
 * True when `output` has collapsed compared with its `source`: it is flat although the source is
 * not (a flat source may stay flat), or its mean brightness moved by more than 35% of the 8-bit
 * range, or fell under a quarter of the source's mean.
 */
export function isDegenerate(source: IntensityStats, output: RawImage): boolean {
  const stats = intensityStats(output);
  if (stats.std < MIN_STD_LEVELS && source.std >= MIN_STD_LEVELS) return true;
  if (Math.abs(stats.mean - source.mean) > MAX_MEAN_SHIFT_LEVELS) return true;
  return stats.mean < MIN_MEAN_FRACTION * source.mean;
}
