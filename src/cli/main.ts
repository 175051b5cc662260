#!/usr/bin/env node
/**
 * The `labelwise` command: dispatches to one subcommand per file in `commands/`.
 */
import type { Command } from './command.js';
import { activateCommand } from './commands/activate.js';
import { augmentCommand } from './commands/augment.js';
import { clusterCommand } from './commands/cluster.js';
import { demoCommand } from './commands/demo.js';
import { evaluateCommand } from './commands/evaluate.js';
import { healthCommand } from './commands/health.js';
import { jobsCommand } from './commands/jobs.js';
import { modelsCommand } from './commands/models.js';
import { predictCommand } from './commands/predict.js';
import { serveCommand } from './commands/serve.js';
import { trainCommand } from './commands/train.js';
import { EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { describeFailure } from './failure-report.js';

const COMMANDS: readonly Command[] = [
  serveCommand,
  predictCommand,
  trainCommand,
  clusterCommand,
  augmentCommand,
  evaluateCommand,
  jobsCommand,
  modelsCommand,
  activateCommand,
  healthCommand,
  demoCommand,
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
  const command = COMMANDS.find((c) => c.name === name);
  if (command !== undefined) return command.run(rest);
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
