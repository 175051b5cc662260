import test from 'ava';

import { averageBlur, boxBlur, gaussianBlur, medianBlur } from '../src/augmentation/blur.js';
import { cropAndPad } from '../src/augmentation/crop-and-pad.js';
import { cutout } from '../src/augmentation/cutout.js';
import { intensityStats, isDegenerate } from '../src/augmentation/degenerate-check.js';
import { elasticTransform } from '../src/augmentation/elastic.js';
import { horizontalFlip } from '../src/augmentation/flip.js';
import { perspectiveTransform } from '../src/augmentation/perspective.js';
import { augmentImage } from '../src/augmentation/pipeline.js';
import type { AugmentOperation, RawImage } from '../src/augmentation/raw-image.js';
import { SeededRandom } from '../src/util/seeded-random.js';
import { FAMILY_COLOURS, noisySquare } from './helpers/noisy-squares.js';

const OPERATIONS: Record<string, AugmentOperation> = {
  horizontalFlip,
  averageBlur,
  medianBlur,
  gaussianBlur,
  perspectiveTransform,
  elasticTransform,
  cropAndPad,
  cutout,
};

function grey(image: RawImage): RawImage {
  const data = Buffer.alloc(image.width * image.height);
  for (let i = 0; i < data.length; i++) data[i] = image.data[i * 3] as number;
  return { data, width: image.width, height: image.height, channels: 1 };
}

for (const [name, operation] of Object.entries(OPERATIONS)) {
  test(`${name} changes the image and keeps its width, height and channels`, async (t) => {
    const source = noisySquare(FAMILY_COLOURS.green, 48, 1);
    // Some draws are no-ops by design (a Gaussian sigma under 0.3, a crop of 0%), so several
    // seeds are tried: every draw must keep the shape, at least one must change the pixels.
    let changed = false;
    for (let seed = 1; seed <= 5; seed++) {
      for (const image of [source, grey(source)]) {
        const output = await operation(image, new SeededRandom(seed));
        t.is(output.width, image.width);
        t.is(output.height, image.height);
        t.is(output.channels, image.channels);
        t.is(output.data.length, image.data.length);
        changed ||= !output.data.equals(image.data);
      }
    }
    t.true(changed);
  });
}

test('an operation returns the same image for the same seed', async (t) => {
  const source = noisySquare(FAMILY_COLOURS.red, 40, 2);
  for (const operation of Object.values(OPERATIONS)) {
    const first = await operation(source, new SeededRandom(9));
    const second = await operation(source, new SeededRandom(9));
    t.true(first.data.equals(second.data));
  }
});

test('an even box blur averages the pixel with its upper-left neighbours', async (t) => {
  const data = Buffer.alloc(5 * 5);
  data[12] = 200; // the centre pixel
  const output = await boxBlur({ data, width: 5, height: 5, channels: 1 }, 2);
  // A 2x2 box anchored like OpenCV's covers offsets -1..0, so the spot spreads right and down.
  t.is(output.data[12], 50);
  t.is(output.data[13], 50);
  t.is(output.data[17], 50);
  t.is(output.data[18], 50);
  t.is(output.data[11], 0);
});

test('the degenerate check catches an all-black output and accepts a blurred one', async (t) => {
  const source = noisySquare(FAMILY_COLOURS.blue, 32, 3);
  const black = { ...source, data: Buffer.alloc(source.data.length) };
  t.true(isDegenerate(intensityStats(source), black));
  const blurred = await boxBlur(source, 3);
  t.false(isDegenerate(intensityStats(source), blurred));
});

test('the degenerate check catches a flat grey output of a textured source', (t) => {
  const source = noisySquare(FAMILY_COLOURS.red, 32, 4);
  const { mean } = intensityStats(source);
  const flat = { ...source, data: Buffer.alloc(source.data.length, Math.round(mean)) };
  t.true(isDegenerate(intensityStats(source), flat));
});

const blackout: AugmentOperation = async (image) => ({
  ...image,
  data: Buffer.alloc(image.data.length),
});

test('collapsed draws are redrawn and counted, and never returned', async (t) => {
  const source = noisySquare(FAMILY_COLOURS.green, 32, 5);
  const stats = intensityStats(source);
  let totalRedraws = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const { image, redraws } = await augmentImage(source, new SeededRandom(seed), {
      operations: [blackout],
      maxRedraws: 3,
    });
    t.false(isDegenerate(stats, image));
    totalRedraws += redraws;
  }
  // SomeOf picks the blackout in half of the draws, so ten images cannot all avoid it.
  t.true(totalRedraws > 0);
});

test('once the redraws are used up the plain flip of the source is returned', async (t) => {
  const source = noisySquare(FAMILY_COLOURS.green, 32, 6);
  const flipped = await horizontalFlip(source);
  let fellBack = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const { image, redraws } = await augmentImage(source, new SeededRandom(seed), {
      operations: [blackout],
      maxRedraws: 0,
    });
    if (redraws === 1) {
      fellBack++;
      t.true(image.data.equals(flipped.data));
    }
  }
  t.true(fellBack > 0);
});

test('the pipeline keeps the shape and is reproducible for a seed', async (t) => {
  const source = noisySquare(FAMILY_COLOURS.red, 64, 7);
  for (let seed = 1; seed <= 6; seed++) {
    const first = await augmentImage(source, new SeededRandom(seed));
    const second = await augmentImage(source, new SeededRandom(seed));
    t.is(first.image.width, 64);
    t.is(first.image.height, 64);
    t.is(first.image.channels, 3);
    t.true(first.image.data.equals(second.image.data));
    t.is(first.redraws, second.redraws);
  }
});
