/**
 * The four job-starting commands (`train`, `cluster`, `augment`, `evaluate`) share this: build the
 * request from flags, start the job, follow it unless `--detach`, print the result, and exit
 * non-zero when the job did not succeed.
 */
import type { JobMessage } from './api-messages.js';
import { clientCommand } from './client-command.js';
import type { Command } from './command.js';
import {
  booleanOption,
  type CommandLine,
  type OptionSpecs,
  type OptionValues,
} from './command-line.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { followJob } from './follow-job.js';
import { describeFinishedJob } from './job-summary.js';
import { UsageError } from './usage-error.js';

/** What a job command declares. */
export interface JobCommandSpec {
  name: string;
  description: string;
  /** The Trainer method that starts the job, e.g. `Train`. */
  method: string;
  options: OptionSpecs;
  /** The request message from the flags; throws UsageError for a bad value. */
  buildRequest(values: OptionValues): object;
  /** Checks flag combinations before connecting; throws UsageError. */
  validate?(commandLine: CommandLine): void;
  /** Runs after the job succeeded (e.g. writes a report); its exit code replaces success. */
  afterSuccess?(job: JobMessage, commandLine: CommandLine): Promise<number>;
}

/** The data set every job reads: a manifest and its image folder, relative to the data dir. */
export const DATA_SET_OPTIONS: OptionSpecs = {
  manifest: {
    type: 'string',
    valueName: 'FILE',
    description: 'manifest (.xlsx or .csv), required',
  },
  'image-dir': {
    type: 'string',
    valueName: 'DIR',
    description: 'folder of the images, required',
  },
};

const FOLLOW_OPTIONS: OptionSpecs = {
  detach: { type: 'boolean', description: 'print the job id and return without following it' },
  json: { type: 'boolean', description: 'print the final Job message as JSON' },
};

/** Sets `request[field]` only when `value` is defined, so unset flags keep the server default. */
export function setIfDefined(
  request: Record<string, unknown>,
  field: string,
  value: unknown,
): void {
  if (value !== undefined) request[field] = value;
}

/** A Command that starts a job with `spec.method` and follows it. */
export function jobCommand(spec: JobCommandSpec): Command {
  return clientCommand({
    name: spec.name,
    usage: `labelwise ${spec.name} [options]`,
    description: spec.description,
    options: { ...spec.options, ...FOLLOW_OPTIONS },
    validate(commandLine) {
      const extra = commandLine.positionals[0];
      if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
      spec.validate?.(commandLine);
      // Building the request once here reports a bad number before anything is sent.
      spec.buildRequest(commandLine.values);
    },
    async run(client, commandLine) {
      const { values } = commandLine;
      const json = booleanOption(values, 'json');
      const started = await client.call<JobMessage>(
        'trainer',
        spec.method,
        spec.buildRequest(values),
      );
      if (booleanOption(values, 'detach')) {
        process.stdout.write(json ? `${JSON.stringify(started, null, 2)}\n` : `${started.id}\n`);
        return EXIT_OK;
      }
      process.stderr.write(`started ${spec.name} job ${started.id}\n`);
      const finished = await followJob(client, started);
      if (json) process.stdout.write(`${JSON.stringify(finished, null, 2)}\n`);
      else process.stdout.write(`${describeFinishedJob(finished).join('\n')}\n`);
      if (finished.state !== 'JOB_STATE_SUCCEEDED') return EXIT_FAILURE;
      return spec.afterSuccess ? spec.afterSuccess(finished, commandLine) : EXIT_OK;
    },
  });
}
