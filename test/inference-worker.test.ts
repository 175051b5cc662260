import test from 'ava';
import { selectBackend } from '../src/backend/select-backend.js';
import { InferenceWorker } from '../src/serving/inference-worker.js';
import { ServedModel } from '../src/serving/served-model.js';
import { ModelStore } from '../src/store/model-store.js';
import { saveColourModel } from './helpers/colour-model.js';
import { makeDirectories } from './helpers/test-server.js';

const SIZE_PX = 16;

function redInputs(): Float32Array {
  const inputs = new Float32Array(SIZE_PX * SIZE_PX * 3);
  for (let i = 0; i < inputs.length; i += 3) inputs[i] = 1;
  return inputs;
}

test('a model scores again after its inference worker died and was restarted', async (t) => {
  const { homeDir } = await makeDirectories(t);
  await selectBackend('wasm');
  const store = new ModelStore(homeDir);
  await store.init();
  const version = await saveColourModel(store, SIZE_PX);
  const worker = new InferenceWorker({ homeDir, backend: 'wasm' });
  t.teardown(() => worker.close());
  const model = await ServedModel.load(version, await store.readMetadata(version), worker);

  const before = await model.score(redInputs(), 1);
  const generation = worker.generation;
  // Simulate a crash of the worker thread (an out-of-memory abort, say).
  await (worker as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
  const after = await model.score(redInputs(), 1);

  t.true(worker.generation > generation);
  t.deepEqual(Array.from(after), Array.from(before));
  t.true((before[0] as number) > 0.9);
});

test('a score for a model that was never loaded is refused with a NotFoundError', async (t) => {
  const { homeDir } = await makeDirectories(t);
  const worker = new InferenceWorker({ homeDir, backend: 'wasm' });
  t.teardown(() => worker.close());
  await t.throwsAsync(worker.score('9#1', redInputs(), 1), { name: 'NotFoundError' });
});

test('a worker that cannot start is retried with growing delays, not in a loop', async (t) => {
  const { homeDir } = await makeDirectories(t);
  const worker = new InferenceWorker({ homeDir, backend: 'no-such-backend' });
  const refused = t.throwsAsync(worker.load('1#1', '1'), { message: /stopped|closed/ });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  // Delays of 100, 200, 400 and 800 ms allow at most a handful of starts in 1.5 s.
  t.true(worker.generation <= 6, `${worker.generation - 1} restarts in 1.5 s`);
  await worker.close();
  await refused;
});
