/**
 * The demo's steps, apart from the command line so that a test can run them with a tiny set:
 * generate an imbalanced image set, start the server in this process, train over gRPC, activate,
 * evaluate the test split and predict a few images, saying what happens in plain words.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { generateSyntheticDataSet } from '../demo/synthetic-data-set.js';
import type { EvaluateResultValue } from '../evaluation/evaluate-result.js';
import { startLabelwiseServer, type LabelwiseServer } from '../server/labelwise-server.js';
import type { JobMessage, ModelMessage, PredictResponseMessage } from './api-messages.js';
import { followJob } from './follow-job.js';
import { formatEvaluationSummary, formatLabelTable } from './job-summary.js';
import { LabelwiseClient } from './labelwise-client.js';

/** Folder under the data directory that receives the demo's images and manifest. */
export const DEMO_FOLDER = 'demo';

/** What the demo needs. */
export interface DemoOptions {
  /** Server configuration; the demo's data goes to `<dataDir>/demo`. */
  config: Config;
  imageCount: number;
  epochs: number;
  /** Side of the model input and of the generated images, in pixels. */
  inputSizePx: number;
  seed: number;
  /** Receives each step's report, one line at a time. */
  say(line: string): void;
  /** Where the training progress bar goes. */
  progressStream?: NodeJS.WritableStream;
}

/** What the demo produced; the server is still running and is the caller's to close. */
export interface DemoOutcome {
  server: LabelwiseServer;
  /** Address a client on this machine reaches the server at. */
  address: string;
  modelVersion: string;
  evaluation: EvaluateResultValue;
  predictions: PredictResponseMessage;
  /** True labels of the predicted images, by image id. */
  expectedLabels: Record<string, string[]>;
}

const PREDICTED_IMAGES = 4;

function succeeded(job: JobMessage, what: string): void {
  if (job.state !== 'JOB_STATE_SUCCEEDED') {
    throw new Error(`${what} job ${job.id} ended ${job.state}: ${job.message}`);
  }
}

/** Runs every step of the demo; on failure the server is closed before the error propagates. */
export async function runDemo(options: DemoOptions): Promise<DemoOutcome> {
  const { config, say } = options;
  const directory = path.join(config.dataDir, DEMO_FOLDER);
  say(`1. Generating ${options.imageCount} images of coloured squares in ${directory}`);
  const rows = await generateSyntheticDataSet({
    directory,
    imageCount: options.imageCount,
    sizePx: options.inputSizePx,
    seed: options.seed,
  });
  const counts = new Map<string, number>();
  for (const row of rows)
    for (const label of row.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  const countText = [...counts].sort((a, b) => b[1] - a[1]).map(([l, n]) => `${l} ${n}`);
  say(
    '   Each image shows one to three colours; labels are imbalanced on purpose: ' +
      countText.join(', '),
  );

  const server = await startLabelwiseServer(config);
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  const address = `${host.includes(':') ? `[${host}]` : host}:${server.grpcPort}`;
  const client = new LabelwiseClient(address, 120_000, undefined);
  try {
    say(
      `2. Started the server at ${address} ` +
        `(metrics on port ${server.metricsPort}, backend ${server.backend})`,
    );

    say(
      `3. Training a small-cnn at ${options.inputSizePx} px for ${options.epochs} epochs over gRPC`,
    );
    const train = await followJob(
      client,
      await client.call<JobMessage>('trainer', 'Train', {
        manifest: `${DEMO_FOLDER}/manifest.xlsx`,
        imageDir: `${DEMO_FOLDER}/images`,
        epochs: options.epochs,
        batchSize: 32,
        inputSize: options.inputSizePx,
        architecture: 'small-cnn',
        seed: options.seed,
      }),
      options.progressStream,
    );
    succeeded(train, 'training');
    const modelVersion = train.train?.modelVersion ?? '';
    say(
      `   Trained model version ${modelVersion} in ${train.train?.trainSeconds.toFixed(1)} s; ` +
        `validation F1 macro ${train.train?.validation?.f1Macro.toFixed(3)}`,
    );

    const model = await client.call<ModelMessage>('trainer', 'ActivateModel', {
      version: modelVersion,
    });
    say(`4. Activated model version ${model.version}: Predict now uses it`);

    say('5. Evaluating it on the test split');
    const evaluate = await followJob(
      client,
      await client.call<JobMessage>('trainer', 'Evaluate', {
        manifest: `${DEMO_FOLDER}/manifest.xlsx`,
        imageDir: `${DEMO_FOLDER}/images`,
        split: 'test',
      }),
      options.progressStream,
    );
    succeeded(evaluate, 'evaluation');
    const evaluation = evaluate.evaluate as EvaluateResultValue;
    for (const line of [...formatEvaluationSummary(evaluation), ...formatLabelTable(evaluation)]) {
      say(`   ${line}`);
    }

    const samples = rows.filter((row) => row.split === 'test').slice(0, PREDICTED_IMAGES);
    say(`6. Predicting ${samples.length} test images`);
    const images = await Promise.all(
      samples.map(async (row) => ({
        id: row.id,
        data: await readFile(path.join(directory, 'images', row.id)),
      })),
    );
    const predictions = await client.call<PredictResponseMessage>('classifier', 'Predict', {
      images,
    });
    const expectedLabels = Object.fromEntries(samples.map((row) => [row.id, row.labels]));
    for (const prediction of predictions.predictions) {
      const truth = expectedLabels[prediction.id] ?? [];
      const top = prediction.scores.map((s) => `${s.label} ${s.score.toFixed(2)}`).join(', ');
      say(
        `   ${prediction.id}: predicted ${prediction.labels.join(', ') || '(none)'}; ` +
          `true ${truth.join(', ')}; scores ${top}`,
      );
    }
    return { server, address, modelVersion, evaluation, predictions, expectedLabels };
  } catch (caught) {
    await server.close();
    throw caught;
  } finally {
    client.close();
  }
}
