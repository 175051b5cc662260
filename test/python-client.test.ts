import { execFile, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { generateSyntheticDataSet } from '../src/demo/synthetic-data-set.js';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { startTestServer } from './helpers/test-server.js';

const CLIENT = fileURLToPath(new URL('../../examples/python/client.py', import.meta.url));

/**
 * The first Python that imports grpc and grpc_tools. A pyenv or virtualenv python3 often lacks
 * Debian's python3-grpcio, which only /usr/bin/python3 sees.
 */
function findPython(): string | undefined {
  const candidates = [process.env.LABELWISE_PYTHON, 'python3', '/usr/bin/python3'];
  return candidates.find(
    (python) =>
      python !== undefined &&
      spawnSync(python, ['-c', 'import grpc, grpc_tools'], { stdio: 'ignore' }).status === 0,
  );
}

const PYTHON = findPython();

function runClient(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(PYTHON!, [CLIENT, ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** False (after failing in CI or logging elsewhere) when no Python with gRPC is installed. */
function pythonAvailable(t: ExecutionContext): boolean {
  if (PYTHON !== undefined) return true;
  if (process.env.CI) {
    t.fail(
      'no python3 imports grpc and grpc_tools; ' +
        '.ci/run installs python3-grpcio and python3-grpc-tools',
    );
  } else {
    t.log(
      'no python3 with grpc and grpc_tools ' +
        '(apt-get install python3-grpcio python3-grpc-tools); skipped',
    );
    t.pass();
  }
  return false;
}

test('the Python client predicts image files against a live server', async (t) => {
  if (!pythonAvailable(t)) return;
  const server = await startTestServer(t, {
    prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
  });
  await mkdir(server.dataDir, { recursive: true });
  const red = path.join(server.dataDir, 'red.png');
  const blue = path.join(server.dataDir, 'blue.jpg');
  await writeFile(red, await solidImage([230, 20, 20]));
  await writeFile(blue, await solidImage([20, 20, 230], 'jpeg'));

  const run = await runClient(['--address', server.address, 'predict', '--json', red, blue]);
  t.is(run.code, 0, run.stderr);
  const output = JSON.parse(run.stdout);
  t.is(output.model_version, '1');
  t.deepEqual(
    output.predictions.map((p: { id: string; labels: string[] }) => [p.id, p.labels]),
    [
      [red, ['red']],
      [blue, ['blue']],
    ],
  );

  const unknown = await runClient([
    '--address',
    server.address,
    'predict',
    '--model-version',
    '7',
    red,
  ]);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /^NOT_FOUND: /m);
});

test('the Python client starts a training job and watches it to the end', async (t) => {
  if (!pythonAvailable(t)) return;
  const server = await startTestServer(t);
  await generateSyntheticDataSet({
    directory: path.join(server.dataDir, 'colours'),
    imageCount: 40,
    sizePx: 32,
  });
  const run = await runClient([
    '--address',
    server.address,
    'train',
    '--manifest',
    'colours/manifest.xlsx',
    '--image-dir',
    'colours/images',
    '--epochs',
    '1',
    '--input-size',
    '32',
    '--activate',
  ]);
  t.is(run.code, 0, run.stderr + run.stdout);
  t.regex(run.stderr, /started train job job-/);
  t.regex(run.stderr, /epoch 1\/1 loss \d/);
  t.regex(run.stdout, /succeeded: model version 1, best epoch 1 of 1/);
  t.is((await server.classifier.GetModel({})).version, '1');
});
