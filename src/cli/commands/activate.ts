/**
 * `labelwise activate <version>`: makes a stored version the one served.
 */
import type { ModelMessage } from '../api-messages.js';
import { clientCommand } from '../client-command.js';
import { booleanOption } from '../command-line.js';
import { EXIT_OK } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';

/** The `activate` subcommand. */
export const activateCommand = clientCommand({
  name: 'activate',
  usage: 'labelwise activate [options] <version>',
  description: `
Makes a stored model version the one served. Every replica that shares the model store follows
within its poll interval.`,
  options: { json: { type: 'boolean', description: 'print the Model message as JSON' } },
  validate({ positionals }) {
    if (positionals.length !== 1) throw new UsageError('name exactly one model version');
  },
  async run(client, { positionals, values }) {
    const model = await client.call<ModelMessage>('trainer', 'ActivateModel', {
      version: positionals[0],
    });
    process.stdout.write(
      booleanOption(values, 'json')
        ? `${JSON.stringify(model, null, 2)}\n`
        : `serving model version ${model.version}\n`,
    );
    return EXIT_OK;
  },
});
