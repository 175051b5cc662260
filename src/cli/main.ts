#!/usr/bin/env node
/**
 * The `labelwise` command: dispatches to one subcommand per file in `commands/`. Each command's
 * module is imported only when it runs, so a client command does not pay for loading
 * TensorFlow.js, exceljs and the server.
 */
import type { Command } from './command.js';
import { EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { describeFailure } from './failure-report.js';

interface CommandEntry {
  name: string;
  /** One line for the command list. */
  summary: string;
  load(): Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'run the gRPC service and the /metrics endpoint',
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
  {
    name: 'predict',
    summary: 'print the labels and scores of image files',
    load: async () => (await import('./commands/predict.js')).predictCommand,
  },
  {
    name: 'train',
    summary: 'train a model version on a manifest (a background job)',
    load: async () => (await import('./commands/train.js')).trainCommand,
  },
  {
    name: 'cluster',
    summary: 'cluster the images of a split (a background job)',
    load: async () => (await import('./commands/cluster.js')).clusterCommand,
  },
  {
    name: 'augment',
    summary: 'add augmented images to rare clusters or labels (a background job)',
    load: async () => (await import('./commands/augment.js')).augmentCommand,
  },
  {
    name: 'evaluate',
    summary: 'measure a model version on a split; optional workbook and chart',
    load: async () => (await import('./commands/evaluate.js')).evaluateCommand,
  },
  {
    name: 'jobs',
    summary: 'list jobs, newest first',
    load: async () => (await import('./commands/jobs.js')).jobsCommand,
  },
  {
    name: 'models',
    summary: 'list stored model versions; * marks the served one',
    load: async () => (await import('./commands/models.js')).modelsCommand,
  },
  {
    name: 'activate',
    summary: 'serve a stored model version',
    load: async () => (await import('./commands/activate.js')).activateCommand,
  },
  {
    name: 'health',
    summary: 'exit 0 when the server reports SERVING (for health checks)',
    load: async () => (await import('./commands/health.js')).healthCommand,
  },
  {
    name: 'demo',
    summary: 'train, activate, evaluate and predict on generated data, end to end',
    load: async () => (await import('./commands/demo.js')).demoCommand,
  },
];

const USAGE = `usage: labelwise <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Client commands call a running server (--address, default localhost:50051) and send
LABELWISE_ADMIN_TOKEN, when set, as "authorization: Bearer <token>".
Run "labelwise <command> --help" for a command's options.
`;

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry !== undefined) return (await entry.load()).run(rest);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  process.stderr.write(`labelwise: unknown command "${name}"\n\n${USAGE}`);
  return EXIT_USAGE;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (caught: unknown) => {
    // Commands report their own failures; this is the last guard against a stack trace.
    process.stderr.write(`labelwise: ${describeFailure(caught)}\n`);
    process.exitCode = 1;
  },
);
