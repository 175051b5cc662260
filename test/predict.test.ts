import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import sharp from 'sharp';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { startTestServer } from './helpers/test-server.js';

async function servingColourModel(t: Parameters<typeof startTestServer>[0], config = {}) {
  return startTestServer(t, {
    config,
    prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
  });
}

test('a red image is labelled red, with every score listed highest first', async (t) => {
  const { classifier } = await servingColourModel(t);
  const response = await classifier.Predict({
    images: [{ id: 'r', data: await solidImage([255, 0, 0]) }],
  });
  t.is(response.modelVersion, '1');
  const [prediction] = response.predictions;
  t.is(prediction.id, 'r');
  t.deepEqual(prediction.labels, ['red']);
  t.deepEqual(
    prediction.scores.map((s: { label: string }) => s.label),
    ['red', 'green', 'blue'],
  );
  t.true(prediction.scores[0].score > 0.9);
});

test('predictions come back in request order for every supported format', async (t) => {
  const { classifier } = await servingColourModel(t);
  const formats = ['png', 'jpeg', 'webp', 'gif', 'tiff'] as const;
  const colours: [number, number, number][] = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
  ];
  const images = await Promise.all(
    formats.flatMap((format, i) =>
      colours.map(async (rgb, j) => ({
        id: `${format}-${j}`,
        data: await solidImage(rgb, format, 100 + i, 50),
      })),
    ),
  );
  const response = await classifier.Predict({ images });
  t.deepEqual(
    response.predictions.map((p: { id: string }) => p.id),
    images.map((i) => i.id),
  );
  response.predictions.forEach((p: { labels: string[] }, index: number) =>
    t.deepEqual(p.labels, [['red', 'green', 'blue'][index % 3]]),
  );
});

test('grayscale, alpha, 16-bit and CMYK images are converted to RGB', async (t) => {
  const { classifier } = await servingColourModel(t);
  const base = sharp({
    create: { width: 20, height: 20, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } },
  });
  const images = [
    { id: 'alpha', data: await base.clone().png().toBuffer() },
    { id: 'gray', data: await base.clone().grayscale().png().toBuffer() },
    {
      id: 'sixteen',
      data: await base.clone().png({ compressionLevel: 1 }).toColourspace('rgb16').toBuffer(),
    },
    { id: 'cmyk', data: await base.clone().jpeg().toColourspace('cmyk').toBuffer() },
  ];
  const response = await classifier.Predict({ images });
  t.is(response.predictions.length, 4);
  t.deepEqual(response.predictions[0].labels, ['red']);
  t.deepEqual(response.predictions[3].labels, ['red']);
});

test('a request threshold overrides the model thresholds', async (t) => {
  const { classifier } = await servingColourModel(t);
  const data = await solidImage([128, 128, 128]);
  const strict = await classifier.Predict({ images: [{ id: 'g', data }], threshold: 0.99 });
  const loose = await classifier.Predict({ images: [{ id: 'g', data }], threshold: 0 });
  t.deepEqual(strict.predictions[0].labels, []);
  t.is(loose.predictions[0].labels.length, 3);
});

test('tuned per-label thresholds apply when the request gives none', async (t) => {
  const { classifier } = await startTestServer(t, {
    prepare: async (store) =>
      store.setActiveVersion(
        await saveColourModel(store, 16, 8, { labelThresholds: { red: 0.999999 } }),
      ),
  });
  const response = await classifier.Predict({
    images: [{ id: 'r', data: await solidImage([255, 0, 0]) }],
  });
  t.deepEqual(response.predictions[0].labels, []);
});

const badInputs: [string, () => Promise<object>, grpc.status, RegExp][] = [
  ['an empty request', async () => ({ images: [] }), grpc.status.INVALID_ARGUMENT, /no images/],
  [
    'a zero-byte image',
    async () => ({ images: [{ id: 'empty', data: Buffer.alloc(0) }] }),
    grpc.status.INVALID_ARGUMENT,
    /id "empty".*0 bytes/,
  ],
  [
    'bytes that are not an image',
    async () => ({ images: [{ id: 'text', data: Buffer.from('hello, not an image') }] }),
    grpc.status.INVALID_ARGUMENT,
    /id "text".*not a readable image/,
  ],
  [
    'a truncated image',
    async () => {
      const data = await solidImage([1, 2, 3], 'jpeg', 300, 300);
      return {
        images: [
          { id: 'ok', data: await solidImage([1, 2, 3]) },
          { id: 'cut', data: data.subarray(0, data.length / 2) },
        ],
      };
    },
    grpc.status.INVALID_ARGUMENT,
    /image 1 \(id "cut"\)/,
  ],
  [
    'a decompression bomb',
    async () => ({
      images: [
        {
          id: 'bomb',
          data: await sharp({
            create: { width: 9000, height: 9000, channels: 3, background: 'black' },
          })
            .png({ compressionLevel: 9 })
            .toBuffer(),
        },
      ],
    }),
    grpc.status.INVALID_ARGUMENT,
    /id "bomb".*pixel limit/,
  ],
  [
    'a negative threshold',
    async () => ({ images: [{ id: 'a', data: await solidImage([1, 2, 3]) }], threshold: -0.5 }),
    grpc.status.INVALID_ARGUMENT,
    /threshold/,
  ],
  [
    'a NaN threshold',
    async () => ({ images: [{ id: 'a', data: await solidImage([1, 2, 3]) }], threshold: NaN }),
    grpc.status.INVALID_ARGUMENT,
    /threshold/,
  ],
  [
    'an unknown model version',
    async () => ({ images: [{ id: 'a', data: await solidImage([1, 2, 3]) }], modelVersion: '42' }),
    grpc.status.NOT_FOUND,
    /version "42"/,
  ],
  [
    'too many images',
    async () => {
      const data = await solidImage([1, 2, 3]);
      return { images: Array.from({ length: 5 }, (_, i) => ({ id: `i${i}`, data })) };
    },
    grpc.status.INVALID_ARGUMENT,
    /5 images; the limit is 4/,
  ],
];

for (const [what, makeRequest, code, message] of badInputs) {
  test(`${what} gets ${grpc.status[code]} and the server keeps serving`, async (t) => {
    const { classifier } = await servingColourModel(t, {
      maxImagesPerRequest: 4,
      maxImagePixels: 10_000_000,
    });
    const error = await t.throwsAsync(classifier.Predict(await makeRequest()));
    t.is((error as grpc.ServiceError).code, code);
    t.regex((error as grpc.ServiceError).details, message);
    const after = await classifier.Predict({
      images: [{ id: 'b', data: await solidImage([0, 0, 255]) }],
    });
    t.deepEqual(after.predictions[0].labels, ['blue']);
  });
}

test('Predict without an active model gets FAILED_PRECONDITION', async (t) => {
  const { classifier } = await startTestServer(t);
  const error = await t.throwsAsync(
    classifier.Predict({ images: [{ id: 'a', data: await solidImage([1, 2, 3]) }] }),
  );
  t.is((error as grpc.ServiceError).code, grpc.status.FAILED_PRECONDITION);
});

test('a message over the size limit is refused with RESOURCE_EXHAUSTED', async (t) => {
  const { classifier } = await servingColourModel(t, { maxMessageBytes: 64 * 1024 });
  const error = await t.throwsAsync(
    classifier.Predict({ images: [{ id: 'big', data: Buffer.alloc(128 * 1024, 7) }] }),
  );
  t.is((error as grpc.ServiceError).code, grpc.status.RESOURCE_EXHAUSTED);
});

test('a full queue makes Predict fail fast with RESOURCE_EXHAUSTED', async (t) => {
  const { classifier } = await servingColourModel(t, { maxQueueDepth: 2 });
  const data = await solidImage([1, 2, 3]);
  const error = await t.throwsAsync(
    classifier.Predict({
      images: [
        { id: 'a', data },
        { id: 'b', data },
        { id: 'c', data },
      ],
    }),
  );
  t.is((error as grpc.ServiceError).code, grpc.status.RESOURCE_EXHAUSTED);
  t.regex((error as grpc.ServiceError).details, /queue is full/);
});

test('concurrent calls are merged into batches and each gets its own answer', async (t) => {
  const { classifier, server } = await servingColourModel(t, {
    maxQueueDelayMs: 20,
    maxBatchSize: 64,
  });
  const colours: [number, number, number][] = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
  ];
  const encoded = await Promise.all(colours.map((c) => solidImage(c)));
  const responses = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      classifier.Predict({ images: [{ id: String(i), data: encoded[i % 3] }] }),
    ),
  );
  responses.forEach((response, i) => {
    t.is(response.predictions[0].id, String(i));
    t.deepEqual(response.predictions[0].labels, [['red', 'green', 'blue'][i % 3]]);
  });
  const batches = await server.metrics.batchSize.get();
  const count =
    batches.values.find((v) => v.metricName === 'labelwise_batch_size_images_count')?.value ?? 0;
  t.true(count < 30, `30 calls took ${count} model calls`);
});

test('GetModel describes the active version', async (t) => {
  const { classifier } = await servingColourModel(t);
  const model = await classifier.GetModel({});
  t.is(model.version, '1');
  t.true(model.active);
  t.deepEqual(model.labels, ['red', 'green', 'blue']);
  t.is(model.inputSize, 16);
  t.true(Math.abs(model.threshold - 0.2) < 1e-6);
});
