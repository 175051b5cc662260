/**
 * `labelwise jobs`: lists the server's jobs, newest first.
 */
import type { JobMessage } from '../api-messages.js';
import { formatTimestamp, shortKind, shortState } from '../api-messages.js';
import { clientCommand } from '../client-command.js';
import { booleanOption } from '../command-line.js';
import { EXIT_OK } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';

/** The `jobs` subcommand. */
export const jobsCommand = clientCommand({
  name: 'jobs',
  usage: 'labelwise jobs [options]',
  description: `
Lists every job the server knows, newest first: id, kind, state, progress, creation time and
its message (what it is doing, or why it failed).`,
  options: { json: { type: 'boolean', description: 'print the Job messages as JSON' } },
  validate({ positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  },
  async run(client, { values }) {
    const { jobs } = await client.call<{ jobs: JobMessage[] }>('trainer', 'ListJobs', {});
    if (booleanOption(values, 'json')) {
      process.stdout.write(`${JSON.stringify(jobs, null, 2)}\n`);
      return EXIT_OK;
    }
    if (jobs.length === 0) {
      process.stdout.write('no jobs\n');
      return EXIT_OK;
    }
    const idWidth = Math.max(2, ...jobs.map((j) => j.id.length));
    const lines = jobs.map(
      (job) =>
        `${job.id.padEnd(idWidth)}  ${shortKind(job.kind).padEnd(8)}  ` +
        `${shortState(job.state).padEnd(9)}  ` +
        `${`${Math.floor(job.progress * 100)}%`.padStart(4)}  ` +
        `${formatTimestamp(job.createdAt).padEnd(24)}  ${job.message}`,
    );
    const header =
      `${'id'.padEnd(idWidth)}  ${'kind'.padEnd(8)}  ${'state'.padEnd(9)}  done  ` +
      `${'created'.padEnd(24)}  message`;
    process.stdout.write(`${[header, ...lines].join('\n')}\n`);
    return EXIT_OK;
  },
});
