import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import ExcelJS from 'exceljs';
import sharp from 'sharp';
import { generateSyntheticDataSet } from '../src/demo/synthetic-data-set.js';
import { labelwiseV1 } from '../src/grpc/proto-definition.js';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { runCli } from './helpers/run-cli.js';
import { makeDirectories, startTestServer } from './helpers/test-server.js';

const COMMANDS = [
  'serve',
  'predict',
  'train',
  'cluster',
  'augment',
  'evaluate',
  'jobs',
  'models',
  'activate',
  'health',
  'demo',
];

async function writeImages(
  t: Parameters<typeof makeDirectories>[0],
  colours: Record<string, [number, number, number]>,
): Promise<Record<string, string>> {
  const { dataDir } = await makeDirectories(t);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dataDir, { recursive: true });
  const files: Record<string, string> = {};
  for (const [name, rgb] of Object.entries(colours)) {
    files[name] = path.join(dataDir, `${name}.png`);
    await writeFile(files[name]!, await solidImage(rgb));
  }
  return files;
}

test('the command list names every subcommand', async (t) => {
  const run = await runCli(['--help']);
  t.is(run.code, 0);
  for (const name of COMMANDS) t.regex(run.stdout, new RegExp(`^  ${name} `, 'm'));
});

for (const name of COMMANDS) {
  test(`${name} --help shows its usage and exits 0`, async (t) => {
    const run = await runCli([name, '--help']);
    t.is(run.code, 0, run.stderr);
    t.regex(run.stdout, new RegExp(`usage: labelwise ${name}`));
  });
}

test('client commands document the address and the serve help lists the settings', async (t) => {
  t.regex((await runCli(['predict', '--help'])).stdout, /--address HOST:PORT .*localhost:50051/);
  t.regex(
    (await runCli(['serve', '--help'])).stdout,
    /--max-batch-size\s+LABELWISE_MAX_BATCH_SIZE/,
  );
  t.regex(
    (await runCli(['evaluate', '--help'])).stdout,
    /F1 micro and macro against one threshold/,
  );
});

test('an unknown command or option exits 2 and points at the help', async (t) => {
  const unknownCommand = await runCli(['frobnicate']);
  t.is(unknownCommand.code, 2);
  t.regex(unknownCommand.stderr, /unknown command "frobnicate"/);
  const badOption = await runCli(['predict', '--bogus', 'x.png']);
  t.is(badOption.code, 2);
  t.regex(badOption.stderr, /see: labelwise predict --help/);
  const badNumber = await runCli([
    'train',
    '--manifest',
    'm.xlsx',
    '--image-dir',
    'i',
    '--epochs',
    'x',
  ]);
  t.is(badNumber.code, 2);
  t.regex(badNumber.stderr, /--epochs must be a number/);
});

test('predict --json prints the labels the served model gives each file', async (t) => {
  const server = await startTestServer(t, {
    prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
  });
  const files = await writeImages(t, { red: [230, 20, 20], blue: [20, 20, 230] });
  const run = await runCli([
    'predict',
    '--json',
    '--address',
    server.address,
    files.red!,
    files.blue!,
  ]);
  t.is(run.code, 0, run.stderr);
  const output = JSON.parse(run.stdout);
  t.is(output.modelVersion, '1');
  t.deepEqual(
    output.predictions.map((p: { id: string; labels: string[] }) => [p.id, p.labels]),
    [
      [files.red, ['red']],
      [files.blue, ['blue']],
    ],
  );
  t.is(output.predictions[0].scores.length, 3);
});

test('predict as text names each file, its labels and scores', async (t) => {
  const server = await startTestServer(t, {
    prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
  });
  const files = await writeImages(t, { green: [20, 230, 20] });
  const run = await runCli([
    'predict',
    '--address',
    server.address,
    '--threshold',
    '0.5',
    files.green!,
  ]);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stdout, /^model version 1$/m);
  t.regex(run.stdout, new RegExp(`${files.green}: green\\n  green \\d\\.\\d{3}`));
});

test('a failing call exits 1 with the status name and details and no stack trace', async (t) => {
  const server = await startTestServer(t, {
    prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
  });
  const files = await writeImages(t, { red: [230, 20, 20] });
  const run = await runCli([
    'predict',
    '--address',
    server.address,
    '--model-version',
    '42',
    files.red!,
  ]);
  t.is(run.code, 1);
  t.regex(run.stderr, /^labelwise predict: NOT_FOUND: .*42/m);
  t.notRegex(run.stderr, /\n\s+at /);
});

test('a server that does not answer gives UNAVAILABLE and exit 1', async (t) => {
  const run = await runCli(['models', '--address', '127.0.0.1:1', '--deadline-seconds', '5']);
  t.is(run.code, 1);
  t.regex(run.stderr, /UNAVAILABLE/);
});

test('a missing image file is named and nothing is sent', async (t) => {
  const run = await runCli(['predict', '--address', '127.0.0.1:1', '/nonexistent/cat.png']);
  t.is(run.code, 1);
  t.regex(run.stderr, /cannot read \/nonexistent\/cat\.png: ENOENT/);
});

test('activate serves the named version and models marks it', async (t) => {
  const server = await startTestServer(t, {
    prepare: async (store) => {
      await store.setActiveVersion(await saveColourModel(store, 16, 8));
      await saveColourModel(store, 16, 2);
    },
  });
  const run = await runCli(['activate', '--address', server.address, '2']);
  t.is(run.code, 0, run.stderr);
  t.is(run.stdout, 'serving model version 2\n');
  t.is((await server.classifier.GetModel({})).version, '2');
  const models = await runCli(['models', '--address', server.address]);
  t.regex(models.stdout, /^\* 2 /m);
  t.regex(models.stdout, /^ {2}1 /m);
  const missing = await runCli(['activate', '--address', server.address, '9']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /NOT_FOUND/);
});

test('the admin token travels as a bearer authorization header', async (t) => {
  const seen: string[] = [];
  const fake = new grpc.Server();
  fake.addService(labelwiseV1.Trainer.service, {
    ListJobs: (
      call: grpc.ServerUnaryCall<object, object>,
      callback: grpc.sendUnaryData<object>,
    ) => {
      seen.push(String(call.metadata.get('authorization')[0] ?? ''));
      callback(null, { jobs: [] });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    fake.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  t.teardown(() => fake.forceShutdown());
  const withToken = await runCli(['jobs', '--address', `127.0.0.1:${port}`], {
    LABELWISE_ADMIN_TOKEN: 's3cret',
  });
  t.is(withToken.code, 0, withToken.stderr);
  t.is(withToken.stdout, 'no jobs\n');
  await runCli(['jobs', '--address', `127.0.0.1:${port}`], { LABELWISE_ADMIN_TOKEN: '' });
  t.deepEqual(seen, ['Bearer s3cret', '']);
});

test('health exits 0 for a serving server and 1 for a classifier without a model', async (t) => {
  const server = await startTestServer(t);
  const whole = await runCli(['health', '--address', server.address]);
  t.is(whole.code, 0, whole.stderr);
  t.is(whole.stdout, 'SERVING\n');
  const classifier = await runCli([
    'health',
    '--address',
    server.address,
    '--service',
    'labelwise.v1.Classifier',
  ]);
  t.is(classifier.code, 1);
  t.is(classifier.stdout, 'NOT_SERVING\n');
});

test(
  'train follows the job, evaluate writes a workbook and a chart, ' + 'and jobs lists both',
  async (t) => {
    const server = await startTestServer(t);
    await generateSyntheticDataSet({
      directory: path.join(server.dataDir, 'colours'),
      imageCount: 40,
      sizePx: 32,
    });
    const data = ['--manifest', 'colours/manifest.xlsx', '--image-dir', 'colours/images'];
    const train = await runCli([
      'train',
      '--address',
      server.address,
      ...data,
      '--epochs',
      '1',
      '--input-size',
      '32',
      '--activate',
    ]);
    t.is(train.code, 0, train.stderr);
    t.regex(train.stderr, /started train job job-/);
    t.regex(train.stderr, /epoch 1\/1 {2}loss \d/);
    t.regex(train.stdout, /train job job-\S+ succeeded/);
    t.regex(train.stdout, /^model version 1: best epoch 1 of 1 run/m);

    const { dataDir: outDir } = await makeDirectories(t);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(outDir, { recursive: true });
    const report = path.join(outDir, 'report.xlsx');
    const chart = path.join(outDir, 'chart.png');
    const evaluate = await runCli([
      'evaluate',
      '--address',
      server.address,
      ...data,
      '--report',
      report,
      '--chart',
      chart,
    ]);
    t.is(evaluate.code, 0, evaluate.stderr);
    t.regex(evaluate.stdout, /F1 micro \d\.\d{3} {2}macro/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(report);
    t.is(workbook.getWorksheet('Labels')?.rowCount, 5);
    t.deepEqual(
      await sharp(chart)
        .metadata()
        .then((m) => [m.format, m.width]),
      ['png', 960],
    );

    const jobs = await runCli(['jobs', '--address', server.address, '--json']);
    t.deepEqual(
      JSON.parse(jobs.stdout).map((j: { kind: string; state: string }) => [j.kind, j.state]),
      [
        ['JOB_KIND_EVALUATE', 'JOB_STATE_SUCCEEDED'],
        ['JOB_KIND_TRAIN', 'JOB_STATE_SUCCEEDED'],
      ],
    );
  },
);

test('a job that fails makes the command exit 1 with the reason', async (t) => {
  const server = await startTestServer(t);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(path.join(server.dataDir, 'empty', 'images'), { recursive: true });
  await writeFile(
    path.join(server.dataDir, 'empty', 'manifest.csv'),
    'id,split,target\nmissing-1.png,train,red\nmissing-2.png,train,blue\nmissing-3.png,test,red\n',
  );
  const run = await runCli([
    'train',
    '--address',
    server.address,
    '--manifest',
    'empty/manifest.csv',
    '--image-dir',
    'empty/images',
    '--epochs',
    '1',
  ]);
  t.is(run.code, 1);
  t.regex(run.stdout + run.stderr, /failed|FAILED_PRECONDITION|INVALID_ARGUMENT|NOT_FOUND/);
  t.notRegex(run.stderr, /\n\s+at /);
});

test('--detach prints the job id at once and --report without following is refused', async (t) => {
  const refused = await runCli([
    'evaluate',
    '--manifest',
    'm.xlsx',
    '--image-dir',
    'i',
    '--detach',
    '--report',
    'r.xlsx',
  ]);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /leave out --detach/);
});
