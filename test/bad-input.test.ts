/**
 * Every RPC fed malformed input: each case gets the right status code and a message naming the
 * problem, valid but unusual images succeed, and the server still gives the known answer after.
 * Manifest problems surface as the job failing, since the manifest is read inside the job.
 */
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test, { type ExecutionContext } from 'ava';
import ExcelJS from 'exceljs';
import sharp from 'sharp';
import { SeededRandom } from '../src/util/seeded-random.js';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

interface Job {
  id: string;
  state: string;
  message: string;
}

const MAX_IMAGES = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server with the colour model active and a small image folder in its data directory. */
async function colourServer(t: ExecutionContext): Promise<TestServer> {
  const server = await startTestServer(t, {
    config: { maxImagesPerRequest: MAX_IMAGES, maxImagePixels: 10_000_000 },
    prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
  });
  const imageDir = path.join(server.dataDir, 'set', 'images');
  await mkdir(imageDir, { recursive: true });
  const colours: [string, [number, number, number]][] = [
    ['red', [255, 0, 0]],
    ['green', [0, 255, 0]],
    ['blue', [0, 0, 255]],
  ];
  for (let i = 0; i < 12; i++) {
    const [, rgb] = colours[i % 3] as [string, [number, number, number]];
    await writeFile(path.join(imageDir, `img${i}.png`), await solidImage(rgb));
  }
  return server;
}

/** The server still answers a pure red image with ['red']. */
async function assertKnownAnswer(t: ExecutionContext, server: TestServer): Promise<void> {
  const response = await server.classifier.Predict({
    images: [{ id: 'check', data: await solidImage([255, 0, 0]) }],
  });
  t.deepEqual(response.predictions[0].labels, ['red'], 'the known answer still holds');
}

function details(error: unknown): string {
  return (error as grpc.ServiceError).details;
}

/** Caller-visible text must not show where the server keeps its files. */
function assertNoServerPaths(t: ExecutionContext, server: TestServer, text: string): void {
  t.false(text.includes(server.dataDir), `"${text}" shows the data directory`);
  t.false(text.includes(server.homeDir), `"${text}" shows the home directory`);
  t.false(text.includes(path.dirname(server.dataDir)), `"${text}" shows the temporary folder`);
  t.notRegex(text, /\n\s+at /, 'no stack trace');
}

// ---------------------------------------------------------------------------------------------
// Predict

const twoFrames = async (format: 'gif' | 'webp'): Promise<Buffer> => {
  const frame = (r: number) =>
    sharp({ create: { width: 24, height: 24, channels: 3, background: { r, g: 0, b: 0 } } })
      .png()
      .toBuffer();
  return sharp([await frame(255), await frame(190)], { join: { animated: true } })
    .toFormat(format, { loop: 0 })
    .toBuffer();
};

const redBase = () =>
  sharp({
    create: { width: 20, height: 20, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.6 } },
  });

/** Valid but unusual images: each must be scored, red ones as red. */
const unusualImages: [string, () => Promise<Buffer>, string[] | undefined][] = [
  ['an animated GIF', () => twoFrames('gif'), ['red']],
  ['an animated WebP', () => twoFrames('webp'), ['red']],
  ['a 16-bit PNG', () => redBase().png().toColourspace('rgb16').toBuffer(), ['red']],
  ['a grayscale PNG', () => redBase().grayscale().png().toBuffer(), undefined],
  ['a CMYK JPEG', () => redBase().jpeg().toColourspace('cmyk').toBuffer(), ['red']],
  ['a PNG with alpha', () => redBase().png().toBuffer(), ['red']],
  ['a one-pixel image', () => solidImage([255, 0, 0], 'png', 1, 1), ['red']],
  ['a very wide strip', () => solidImage([255, 0, 0], 'png', 4000, 1), ['red']],
];

for (const [what, make, labels] of unusualImages) {
  test(`${what} is scored, not refused`, async (t) => {
    const server = await colourServer(t);
    const response = await server.classifier.Predict({ images: [{ id: 'u', data: await make() }] });
    t.is(response.predictions.length, 1);
    t.is(response.predictions[0].scores.length, 3);
    if (labels !== undefined) t.deepEqual(response.predictions[0].labels, labels);
    await assertKnownAnswer(t, server);
  });
}

test('the animated test images really have several frames', async (t) => {
  for (const format of ['gif', 'webp'] as const) {
    const metadata = await sharp(await twoFrames(format), { animated: true }).metadata();
    t.true((metadata.pages ?? 1) >= 2, format);
  }
});

type PredictCase = [string, () => Promise<object>, grpc.status, RegExp];

const badPredicts: PredictCase[] = [
  [
    'corrupt bytes',
    async () => ({ images: [{ id: 'junk', data: Buffer.from('GIF89a but not really') }] }),
    grpc.status.INVALID_ARGUMENT,
    /id "junk".*not a readable image/,
  ],
  [
    'a truncated PNG',
    async () => {
      const data = await solidImage([9, 9, 9], 'png', 300, 300);
      return { images: [{ id: 'cut', data: data.subarray(0, Math.floor(data.length / 3)) }] };
    },
    grpc.status.INVALID_ARGUMENT,
    /id "cut"/,
  ],
  [
    'a zero-byte image',
    async () => ({ images: [{ id: 'none', data: Buffer.alloc(0) }] }),
    grpc.status.INVALID_ARGUMENT,
    /id "none".*0 bytes/,
  ],
  [
    'a decompression bomb (huge dimensions, tiny file)',
    async () => ({
      images: [
        {
          id: 'bomb',
          data: await sharp({
            create: { width: 12_000, height: 12_000, channels: 3, background: 'black' },
          })
            .png({ compressionLevel: 9 })
            .toBuffer(),
        },
      ],
    }),
    grpc.status.INVALID_ARGUMENT,
    /id "bomb".*pixel limit/,
  ],
  ['an empty batch', async () => ({ images: [] }), grpc.status.INVALID_ARGUMENT, /no images/],
  [
    'an oversized batch',
    async () => {
      const data = await solidImage([1, 2, 3]);
      return { images: Array.from({ length: MAX_IMAGES + 1 }, (_, i) => ({ id: `${i}`, data })) };
    },
    grpc.status.INVALID_ARGUMENT,
    new RegExp(`${MAX_IMAGES + 1} images; the limit is ${MAX_IMAGES}`),
  ],
  [
    'a negative threshold',
    async () => ({ images: [{ id: 'a', data: await solidImage([1, 2, 3]) }], threshold: -0.1 }),
    grpc.status.INVALID_ARGUMENT,
    /threshold must be from 0 to 1, got -0\.1/,
  ],
  [
    'a NaN threshold',
    async () => ({ images: [{ id: 'a', data: await solidImage([1, 2, 3]) }], threshold: NaN }),
    grpc.status.INVALID_ARGUMENT,
    /threshold .*NaN/,
  ],
  [
    'a threshold above one',
    async () => ({ images: [{ id: 'a', data: await solidImage([1, 2, 3]) }], threshold: 1.5 }),
    grpc.status.INVALID_ARGUMENT,
    /threshold/,
  ],
  [
    'an unknown model version',
    async () => ({ images: [{ id: 'a', data: await solidImage([1, 2, 3]) }], modelVersion: '77' }),
    grpc.status.NOT_FOUND,
    /version "77"/,
  ],
  [
    'a model version that is a path',
    async () => ({
      images: [{ id: 'a', data: await solidImage([1, 2, 3]) }],
      modelVersion: '../../etc',
    }),
    grpc.status.NOT_FOUND,
    /does not exist/,
  ],
];

for (const [what, makeRequest, code, message] of badPredicts) {
  test(`Predict with ${what} gets ${grpc.status[code]} naming the problem`, async (t) => {
    const server = await colourServer(t);
    const error = await t.throwsAsync(server.classifier.Predict(await makeRequest()));
    t.is((error as grpc.ServiceError).code, code);
    t.regex(details(error), message);
    assertNoServerPaths(t, server, details(error));
    await assertKnownAnswer(t, server);
  });
}

// ---------------------------------------------------------------------------------------------
// The other unary RPCs

const badCalls: [string, 'classifier' | 'trainer', string, object, grpc.status, RegExp][] = [
  [
    'GetModel of an unknown version',
    'classifier',
    'GetModel',
    { version: '12' },
    grpc.status.NOT_FOUND,
    /"12"/,
  ],
  [
    'GetModel of a path',
    'classifier',
    'GetModel',
    { version: '../models' },
    grpc.status.NOT_FOUND,
    /does not exist/,
  ],
  [
    'ActivateModel of an unknown version',
    'trainer',
    'ActivateModel',
    { version: '5' },
    grpc.status.NOT_FOUND,
    /"5"/,
  ],
  [
    'ActivateModel of a path',
    'trainer',
    'ActivateModel',
    { version: '../../x' },
    grpc.status.NOT_FOUND,
    /does not exist/,
  ],
  [
    'ActivateModel of nothing',
    'trainer',
    'ActivateModel',
    { version: '' },
    grpc.status.INVALID_ARGUMENT,
    /version is required/,
  ],
  [
    'GetJob of an unknown id',
    'trainer',
    'GetJob',
    { id: 'job-nope' },
    grpc.status.NOT_FOUND,
    /job-nope/,
  ],
  [
    'GetJob of a path',
    'trainer',
    'GetJob',
    { id: '../../etc/passwd' },
    grpc.status.NOT_FOUND,
    /does not exist/,
  ],
  [
    'CancelJob of an unknown id',
    'trainer',
    'CancelJob',
    { id: 'job-x' },
    grpc.status.NOT_FOUND,
    /job-x/,
  ],
  [
    'Evaluate with a split that does not exist',
    'trainer',
    'Evaluate',
    { manifest: 'set/manifest.xlsx', imageDir: 'set/images', split: 'validation' },
    grpc.status.INVALID_ARGUMENT,
    /split must be "train" or "test", got "validation"/,
  ],
  [
    'Evaluate with a NaN threshold',
    'trainer',
    'Evaluate',
    { manifest: 'set/manifest.xlsx', imageDir: 'set/images', threshold: NaN },
    grpc.status.INVALID_ARGUMENT,
    /threshold/,
  ],
  [
    'Evaluate of an unknown version',
    'trainer',
    'Evaluate',
    { manifest: 'set/manifest.xlsx', imageDir: 'set/images', modelVersion: '9' },
    grpc.status.NOT_FOUND,
    /"9"/,
  ],
  [
    'Train with a negative batch size',
    'trainer',
    'Train',
    { manifest: 'set/manifest.xlsx', imageDir: 'set/images', batchSize: -4 },
    grpc.status.INVALID_ARGUMENT,
    /batch/,
  ],
  [
    'Train with a negative learning rate',
    'trainer',
    'Train',
    { manifest: 'set/manifest.xlsx', imageDir: 'set/images', learningRate: -0.5 },
    grpc.status.INVALID_ARGUMENT,
    /learning_rate/,
  ],
];

for (const [what, service, method, request, code, message] of badCalls) {
  test(`${what} gets ${grpc.status[code]} naming the problem`, async (t) => {
    const server = await colourServer(t);
    await writeManifestFile(path.join(server.dataDir, 'set', 'manifest.xlsx'), goodRows());
    const error = await t.throwsAsync(server[service][method as 'GetJob'](request));
    t.is((error as grpc.ServiceError).code, code, details(error));
    t.regex(details(error), message);
    assertNoServerPaths(t, server, details(error));
    await assertKnownAnswer(t, server);
  });
}

test(
  'activating a version whose files are damaged names the version, ' + 'not the store path',
  async (t) => {
    const server = await colourServer(t);
    const version = await saveColourModel(server.store, 16, 3);
    await rm(path.join(server.homeDir, 'models', version, 'model.json'));
    const error = await t.throwsAsync(server.trainer.ActivateModel({ version }));
    t.is((error as grpc.ServiceError).code, grpc.status.FAILED_PRECONDITION);
    t.regex(details(error), new RegExp(`model version ${version} could not be loaded: ENOENT`));
    assertNoServerPaths(t, server, details(error));
    await assertKnownAnswer(t, server);
  },
);

// ---------------------------------------------------------------------------------------------
// Paths in Train and Evaluate requests

type PathCase = [string, (server: TestServer) => Promise<object>, grpc.status, RegExp];

const badPaths: PathCase[] = [
  [
    'a manifest with ..',
    async () => ({ manifest: '../../etc/passwd.csv', imageDir: 'set/images' }),
    grpc.status.PERMISSION_DENIED,
    /manifest .* leaves the data directory/,
  ],
  [
    'an absolute manifest',
    // Not the server's own path: the caller's text is echoed, which reveals nothing new.
    async () => ({ manifest: '/etc/manifest.xlsx', imageDir: 'set/images' }),
    grpc.status.PERMISSION_DENIED,
    /manifest .* must be relative/,
  ],
  [
    'an absolute image folder',
    async () => ({ manifest: 'set/manifest.xlsx', imageDir: '/var/lib' }),
    grpc.status.PERMISSION_DENIED,
    /image_dir .* must be relative/,
  ],
  [
    'a manifest behind a link out of the data directory',
    async (s) => {
      await writeManifestFile(path.join(s.homeDir, 'outside.xlsx'), goodRows());
      await symlink(path.join(s.homeDir, 'outside.xlsx'), path.join(s.dataDir, 'link.xlsx'));
      return { manifest: 'link.xlsx', imageDir: 'set/images' };
    },
    grpc.status.PERMISSION_DENIED,
    /manifest "link\.xlsx" leaves the data directory through a link/,
  ],
  [
    'an image folder behind a link out of the data directory',
    async (s) => {
      await symlink(s.homeDir, path.join(s.dataDir, 'home-link'));
      return { manifest: 'set/manifest.xlsx', imageDir: 'home-link/models' };
    },
    grpc.status.PERMISSION_DENIED,
    /image_dir "home-link\/models" leaves the data directory through a link/,
  ],
  [
    'a NUL byte',
    async () => ({ manifest: 'set/manifest.xlsx\0.csv', imageDir: 'set/images' }),
    grpc.status.INVALID_ARGUMENT,
    /manifest contains a NUL byte/,
  ],
  [
    'an empty manifest path',
    async () => ({ manifest: '', imageDir: 'set/images' }),
    grpc.status.INVALID_ARGUMENT,
    /manifest is empty/,
  ],
  [
    'a missing manifest',
    async () => ({ manifest: 'set/nope.xlsx', imageDir: 'set/images' }),
    grpc.status.NOT_FOUND,
    /manifest "set\/nope\.xlsx" does not exist/,
  ],
];

for (const method of ['Train', 'Evaluate'] as const) {
  for (const [what, makeRequest, code, message] of badPaths) {
    test(`${method} with ${what} gets ${grpc.status[code]} and no server path`, async (t) => {
      const server = await colourServer(t);
      await writeManifestFile(path.join(server.dataDir, 'set', 'manifest.xlsx'), goodRows());
      const error = await t.throwsAsync(server.trainer[method](await makeRequest(server)));
      t.is((error as grpc.ServiceError).code, code, details(error));
      t.regex(details(error), message);
      assertNoServerPaths(t, server, details(error));
      await assertKnownAnswer(t, server);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Manifests: read inside the job, so their problems fail the job with a message.

type Row = (string | number | Date | boolean | ExcelJS.CellFormulaValue | null)[];

function goodRows(): Row[] {
  const labels = ['red', 'green', 'blue'];
  // target_class follows the label order, which is sorted by name.
  const sorted = [...labels].sort();
  return [
    ['id', 'split', 'target', 'target_class'],
    ...Array.from({ length: 12 }, (_, i): Row => [
      `img${i}.png`,
      i % 4 === 3 ? 'test' : 'train',
      labels[i % 3] as string,
      sorted.map((label) => (label === labels[i % 3] ? 1 : 0)).join(','),
    ]),
  ];
}

async function writeManifestFile(
  filePath: string,
  rows: Row[],
  edit?: (sheet: ExcelJS.Worksheet, workbook: ExcelJS.Workbook) => void,
): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('data');
  for (const row of rows) sheet.addRow(row);
  edit?.(sheet, workbook);
  await mkdir(path.dirname(filePath), { recursive: true });
  await writeFile(filePath, Buffer.from(await workbook.xlsx.writeBuffer()));
}

/** Columns as in the good manifest: id, split, target, target_class. */
const C = { id: 0, split: 1, target: 2, targetClass: 3 };

const badManifests: [
  string,
  () => Row[],
  ((sheet: ExcelJS.Worksheet, workbook: ExcelJS.Workbook) => void) | undefined,
  RegExp,
][] = [
  [
    'a missing split column',
    () => goodRows().map((row) => row.filter((_, i) => i !== C.split)),
    undefined,
    /missing column split/,
  ],
  [
    'missing id and target columns',
    () => goodRows().map((row) => [row[C.split] ?? null]),
    undefined,
    /missing columns id, target/,
  ],
  [
    'a date where the target should be',
    () =>
      goodRows().map((row, i) =>
        i === 3 ? [row[0] ?? null, row[1] ?? null, new Date(2020, 1, 1)] : row,
      ),
    undefined,
    /row 4.*target|C4/,
  ],
  [
    'a boolean split',
    () =>
      goodRows().map((row, i) =>
        i === 2 ? [row[0] ?? null, true, row[2] ?? null, row[3] ?? null] : row,
      ),
    undefined,
    /row 3|B3/,
  ],
  [
    'a formula with no cached text',
    () =>
      goodRows().map((row, i) =>
        i === 5
          ? [
              row[0] ?? null,
              row[1] ?? null,
              { formula: 'CONCAT("r","ed")' } as ExcelJS.CellFormulaValue,
              row[3] ?? null,
            ]
          : row,
      ),
    undefined,
    /C6|row 6/,
  ],
  ['merged cells', goodRows, (sheet) => sheet.mergeCells('A2:B2'), /merged cells \(A2:B2\)/],
  [
    'thousands of columns',
    () =>
      goodRows().map((row, i) =>
        i === 0 ? [...row, ...Array.from({ length: 3000 }, (_, j) => `extra${j}`)] : row,
      ),
    undefined,
    /3004 columns, more than the 1000/,
  ],
  [
    'a label missing from the labels sheet',
    goodRows,
    (_sheet, workbook) => {
      const labels = workbook.addWorksheet('labels');
      for (const label of ['label', 'red', 'green']) labels.addRow([label]);
    },
    /"blue", missing from the labels sheet/,
  ],
  [
    'a target that disagrees with target_class',
    () =>
      goodRows().map((row, i) =>
        i === 4 ? [row[0] ?? null, row[1] ?? null, 'red', '1,0,0'] : row,
      ),
    undefined,
    /row 5.*target_class/,
  ],
  [
    'an unknown split value',
    () =>
      goodRows().map((row, i) =>
        i === 7 ? [row[0] ?? null, 'validate', row[2] ?? null, row[3] ?? null] : row,
      ),
    undefined,
    /row 8.*unknown split "validate"/,
  ],
  [
    'an id that climbs out with ..',
    () => goodRows().map((row, i) => (i === 2 ? ['../../etc/passwd', ...row.slice(1)] : row)),
    undefined,
    /row 3.*'\.\.' segment/,
  ],
  [
    'an absolute id',
    () => goodRows().map((row, i) => (i === 2 ? ['/etc/passwd', ...row.slice(1)] : row)),
    undefined,
    /row 3.*absolute path/,
  ],
  ['no data rows', () => [['id', 'split', 'target']], undefined, /no data rows/],
];

async function finalState(server: TestServer, id: string): Promise<Job> {
  for (;;) {
    const job: Job = await server.trainer.GetJob({ id });
    if (!['JOB_STATE_QUEUED', 'JOB_STATE_RUNNING'].includes(job.state)) return job;
    await sleep(50);
  }
}

for (const method of ['Train', 'Evaluate'] as const) {
  for (const [what, rows, edit, message] of badManifests) {
    test(`${method} over a manifest with ${what} fails the job naming the problem`, async (t) => {
      const server = await colourServer(t);
      await writeManifestFile(path.join(server.dataDir, 'set', 'bad.xlsx'), rows(), edit);
      const queued: Job = await server.trainer[method]({
        manifest: 'set/bad.xlsx',
        imageDir: 'set/images',
        epochs: 1,
        batchSize: 4,
        inputSize: 16,
        split: 'train',
      });
      const job = await finalState(server, queued.id);
      t.is(job.state, 'JOB_STATE_FAILED', job.message);
      t.regex(job.message, message);
      t.regex(job.message, /set\/bad\.xlsx/, 'the message names the manifest as the caller did');
      assertNoServerPaths(t, server, job.message);
      await assertKnownAnswer(t, server);
    });
  }
}

test('an unreadable manifest file (not a workbook) fails the job naming the file', async (t) => {
  const server = await colourServer(t);
  await writeFile(path.join(server.dataDir, 'set', 'fake.xlsx'), 'this is not a zip');
  const queued: Job = await server.trainer.Train({
    manifest: 'set/fake.xlsx',
    imageDir: 'set/images',
  });
  const job = await finalState(server, queued.id);
  t.is(job.state, 'JOB_STATE_FAILED');
  t.regex(job.message, /set\/fake\.xlsx is not a readable \.xlsx workbook/);
  assertNoServerPaths(t, server, job.message);
});

// ---------------------------------------------------------------------------------------------
// Fuzzing Predict

const FUZZ_CALLS = 300;
const FUZZ_BUDGET_MS = 60_000;

// Serial: the call count within the time budget should not depend on what other tests run.
test.serial(
  'random and mutated images get OK or INVALID_ARGUMENT, never an internal error',
  async (t) => {
    const server = await colourServer(t);
    const random = new SeededRandom(20240611);
    const seeds = [
      await solidImage([255, 0, 0], 'png', 32, 24),
      await solidImage([0, 128, 255], 'jpeg', 40, 40),
      await solidImage([10, 200, 10], 'webp', 16, 16),
      await solidImage([90, 90, 90], 'gif', 20, 20),
    ];
    const makeInput = (): Buffer => {
      const kind = random.integer(0, 3);
      if (kind === 0) {
        return Buffer.from(
          Array.from({ length: random.integer(0, 2048) }, () => random.integer(0, 255)),
        );
      }
      const data = Buffer.from(seeds[random.integer(0, seeds.length - 1)] as Buffer);
      if (kind === 1) {
        for (let flips = random.integer(1, 20); flips > 0; flips--) {
          data[random.integer(0, data.length - 1)] = random.integer(0, 255);
        }
        return data;
      }
      if (kind === 2) return data.subarray(0, random.integer(0, data.length));
      // Overwrite a run in the header, where the dimensions live.
      const start = random.integer(0, Math.min(40, data.length - 1));
      for (let i = start; i < Math.min(data.length, start + 8); i++)
        data[i] = random.integer(0, 255);
      return data;
    };

    const codes = new Map<string, number>();
    const unexpected: string[] = [];
    const deadlineMs = Date.now() + FUZZ_BUDGET_MS;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < FUZZ_CALLS && Date.now() < deadlineMs) {
        const index = next++;
        const data = makeInput();
        let code = 'OK';
        try {
          await server.classifier.Predict({ images: [{ id: `fuzz${index}`, data }] });
        } catch (caught) {
          const error = caught as grpc.ServiceError;
          code = grpc.status[error.code] ?? String(error.code);
          if (error.code !== grpc.status.INVALID_ARGUMENT)
            unexpected.push(`${index}: ${code} ${error.details}`);
          else if (!error.details.includes(`fuzz${index}`))
            unexpected.push(`${index}: unnamed ${error.details}`);
        }
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    t.log(
      `${next} fuzz calls: ${[...codes].map(([code, count]) => `${count} ${code}`).join(', ')}`,
    );
    t.deepEqual(unexpected, []);
    t.true(next >= 100, 'enough calls ran within the time budget');
    await assertKnownAnswer(t, server);
  },
);
