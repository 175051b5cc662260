/**
 * `labelwise predict <files...>`: scores image files with the served model.
 */
import { readFile } from 'node:fs/promises';
import type { PredictionMessage, PredictResponseMessage } from '../api-messages.js';
import { clientCommand } from '../client-command.js';
import { booleanOption, numberOption, stringOption, type OptionValues } from '../command-line.js';
import { EXIT_OK } from '../exit-codes.js';
import type { LabelwiseClient } from '../labelwise-client.js';
import { UsageError } from '../usage-error.js';

// Requests stay below the server's default limits (256 images, 64 MiB) with room to spare.
const MAX_IMAGES_PER_REQUEST = 32;
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** Files grouped into requests that respect both limits. */
function groupFiles(files: readonly { id: string; data: Buffer }[]) {
  const groups: { id: string; data: Buffer }[][] = [];
  let current: { id: string; data: Buffer }[] = [];
  let currentBytes = 0;
  for (const file of files) {
    const full =
      current.length >= MAX_IMAGES_PER_REQUEST ||
      (current.length > 0 && currentBytes + file.data.length > MAX_REQUEST_BYTES);
    if (full) {
      groups.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(file);
    currentBytes += file.data.length;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

async function readImages(paths: readonly string[]): Promise<{ id: string; data: Buffer }[]> {
  return Promise.all(
    paths.map(async (file) => {
      try {
        return { id: file, data: await readFile(file) };
      } catch (caught) {
        const reason = (caught as NodeJS.ErrnoException).code ?? String(caught);
        throw new Error(`cannot read ${file}: ${reason}`);
      }
    }),
  );
}

function formatPrediction(prediction: PredictionMessage): string {
  const labels = prediction.labels.length > 0 ? prediction.labels.join(', ') : '(no label)';
  const scores = prediction.scores.map((s) => `${s.label} ${s.score.toFixed(3)}`).join('  ');
  return `${prediction.id}: ${labels}\n  ${scores}`;
}

async function predict(
  client: LabelwiseClient,
  paths: readonly string[],
  values: OptionValues,
): Promise<PredictResponseMessage> {
  const request: Record<string, unknown> = {};
  const threshold = numberOption(values, 'threshold', { min: 0, max: 1 });
  if (threshold !== undefined) request.threshold = threshold;
  let modelVersion = stringOption(values, 'model-version') ?? '';
  const predictions: PredictionMessage[] = [];
  for (const images of groupFiles(await readImages(paths))) {
    // Later groups name the version the first one got, so a model swap midway cannot mix
    // two versions' answers in one output.
    const response = await client.call<PredictResponseMessage>('classifier', 'Predict', {
      ...request,
      modelVersion,
      images,
    });
    modelVersion = response.modelVersion;
    predictions.push(...response.predictions);
  }
  return { modelVersion, predictions };
}

/** The `predict` subcommand. */
export const predictCommand = clientCommand({
  name: 'predict',
  usage: 'labelwise predict [options] <files...>',
  description: `
Sends the image files (JPEG, PNG, WebP, GIF or TIFF) to the Classifier and prints, per file, the
labels at or above their thresholds and every label's score, highest first. With --json it
prints {"modelVersion", "predictions": [{"id", "labels", "scores": [{"label", "score"}]}]},
where id is the file path as given.`,
  options: {
    json: { type: 'boolean', description: 'print JSON instead of text' },
    threshold: {
      type: 'string',
      valueName: 'X',
      description: "one threshold (0 to 1) for every label instead of the model's",
    },
    'model-version': {
      type: 'string',
      valueName: 'V',
      description: 'model version to use',
      defaultText: 'the active one',
    },
  },
  validate({ positionals, values }) {
    if (positionals.length === 0) throw new UsageError('name at least one image file');
    numberOption(values, 'threshold', { min: 0, max: 1 });
  },
  async run(client, { positionals, values }) {
    const response = await predict(client, positionals, values);
    if (booleanOption(values, 'json')) {
      process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
    } else {
      const lines = response.predictions.map(formatPrediction);
      process.stdout.write(`model version ${response.modelVersion}\n${lines.join('\n')}\n`);
    }
    return EXIT_OK;
  },
});
