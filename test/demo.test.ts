import test from 'ava';
import { loadConfig } from '../src/config/config.js';
import { runDemo } from '../src/cli/demo-run.js';
import { makeDirectories } from './helpers/test-server.js';

test('the demo trains, activates, evaluates and predicts on a generated set', async (t) => {
  const { homeDir, dataDir } = await makeDirectories(t);
  const lines: string[] = [];
  const config = loadConfig(
    [],
    {},
    { port: 0, metricsPort: 0, host: '127.0.0.1', homeDir, dataDir, backend: 'wasm' },
  );
  const outcome = await runDemo({
    config,
    imageCount: 60,
    epochs: 1,
    inputSizePx: 32,
    seed: 3,
    say: (line) => lines.push(line),
    progressStream: { write: () => true } as unknown as NodeJS.WritableStream,
  });
  t.teardown(() => outcome.server.close());

  t.is(outcome.modelVersion, '1');
  t.is(outcome.server.registry.activeVersion, '1');
  t.deepEqual(outcome.evaluation.labels.map((l) => l.label).sort(), [
    'blue',
    'green',
    'red',
    'yellow',
  ]);
  t.true(outcome.evaluation.images > 0);
  const ids = outcome.predictions.predictions.map((p) => p.id);
  t.true(ids.length > 0 && ids.length <= 4);
  t.deepEqual(ids, Object.keys(outcome.expectedLabels));
  const story = lines.join('\n');
  t.regex(story, /Generating 60 images/);
  t.regex(story, /Activated model version 1/);
  t.regex(story, /F1 micro \d\.\d{3}/);
  t.regex(story, /predicted .*; true /);
});
