import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { startTestServer } from './helpers/test-server.js';

const run = promisify(execFile);

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  return response.text();
}

async function hasPromtool(): Promise<boolean> {
  return run('promtool', ['--version']).then(
    () => true,
    () => false,
  );
}

test(
  '/metrics exports request, latency, batching, model, ' + 'backend and tensor metrics',
  async (t) => {
    const { classifier, server } = await startTestServer(t, {
      prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
    });
    await classifier.Predict({ images: [{ id: 'a', data: await solidImage([255, 0, 0]) }] });
    await classifier.Predict({ images: [] }).catch(() => undefined);
    const text = await scrape(server.metricsPort);

    t.regex(text, /labelwise_rpc_requests_total\{method="Predict",code="OK"\} 1/);
    t.regex(text, /labelwise_rpc_requests_total\{method="Predict",code="INVALID_ARGUMENT"\} 1/);
    t.regex(text, /labelwise_rpc_duration_seconds_bucket\{le="0.005",method="Predict"\}/);
    t.regex(text, /labelwise_predict_queue_duration_seconds_count 1/);
    t.regex(text, /labelwise_inference_duration_seconds_count \d+/);
    t.regex(text, /labelwise_batch_size_images_bucket/);
    t.regex(text, /labelwise_predict_queue_depth_images 0/);
    t.regex(text, /labelwise_images_predicted_total 1/);
    t.regex(text, /labelwise_active_model_info\{version="1"\} 1/);
    t.regex(text, /labelwise_backend_info\{backend="wasm"\} 1/);
    t.regex(text, /labelwise_model_load_duration_seconds_count 1/);
    t.regex(text, /labelwise_model_swaps_total\{outcome="ok"\} 1/);
    t.regex(text, /labelwise_tensors \d+/);
    t.regex(text, /labelwise_tensor_memory_bytes \d+/);
    t.regex(text, /labelwise_process_resident_memory_bytes \d+/);
  },
);

test('promtool accepts the /metrics output', async (t) => {
  if (!(await hasPromtool())) {
    t.log('promtool is not installed (Debian package prometheus); .ci/run installs it');
    t.fail('promtool missing');
    return;
  }
  const { classifier, server } = await startTestServer(t, {
    prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
  });
  await classifier.Predict({ images: [{ id: 'a', data: await solidImage([0, 255, 0]) }] });
  const directory = await mkdtemp(path.join(os.tmpdir(), 'labelwise-metrics-'));
  const file = path.join(directory, 'metrics.txt');
  await writeFile(file, await scrape(server.metricsPort));
  const { stdout, stderr } = await run('sh', ['-c', `promtool check metrics < "${file}"`]);
  t.is((stdout + stderr).trim(), '');
});

test('paths other than /metrics get 404', async (t) => {
  const { server } = await startTestServer(t);
  const response = await fetch(`http://127.0.0.1:${server.metricsPort}/other`);
  t.is(response.status, 404);
});
