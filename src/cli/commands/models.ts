/**
 * `labelwise models`: lists the stored model versions, newest first.
 */
import type { ModelMessage } from '../api-messages.js';
import { formatTimestamp } from '../api-messages.js';
import { clientCommand } from '../client-command.js';
import { booleanOption } from '../command-line.js';
import { EXIT_OK } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';

/** One model as a line of text; `*` marks the served version. */
export function formatModelLine(model: ModelMessage): string {
  const f1 = Object.entries(model.metrics)
    .filter(([name]) => /f1/i.test(name))
    .map(([name, value]) => `${name} ${value.toFixed(3)}`)
    .join(' ');
  return (
    `${model.active ? '*' : ' '} ${model.version.padEnd(8)} ${model.architecture.padEnd(14)} ` +
    `${`${model.inputSize}px`.padEnd(6)} ${formatTimestamp(model.createdAt).padEnd(24)} ` +
    `${model.labels.join(',')}${f1 ? `  ${f1}` : ''}`
  );
}

/** The `models` subcommand. */
export const modelsCommand = clientCommand({
  name: 'models',
  usage: 'labelwise models [options]',
  description: `
Lists every stored model version, newest first: version, architecture, input size, creation
time, labels and its F1 figures. A "*" marks the version being served.`,
  options: { json: { type: 'boolean', description: 'print the Model messages as JSON' } },
  validate({ positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  },
  async run(client, { values }) {
    const { models } = await client.call<{ models: ModelMessage[] }>('trainer', 'ListModels', {});
    if (booleanOption(values, 'json')) {
      process.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
    } else {
      process.stdout.write(
        models.length === 0 ? 'no models\n' : `${models.map(formatModelLine).join('\n')}\n`,
      );
    }
    return EXIT_OK;
  },
});
