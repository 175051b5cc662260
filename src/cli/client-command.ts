/**
 * Builds a client subcommand from its options, help and body: parsing, `--help`, the connection
 * and the failure report are the same for all of them.
 */
import type { Command } from './command.js';
import {
  formatHelp,
  parseCommandLine,
  type CommandHelp,
  type CommandLine,
  type OptionSpecs,
} from './command-line.js';
import { EXIT_OK } from './exit-codes.js';
import { reportFailure } from './failure-report.js';
import { CONNECTION_OPTIONS, LabelwiseClient } from './labelwise-client.js';

/** What a client subcommand declares. */
export interface ClientCommandSpec {
  name: string;
  usage: string;
  description: string;
  options: OptionSpecs;
  /** The command's body, once connected; resolves with the exit code. */
  run(client: LabelwiseClient, commandLine: CommandLine): Promise<number>;
  /** Checks the command line before connecting (throws UsageError), so mistakes send nothing. */
  validate?(commandLine: CommandLine): void;
}

/** A Command that connects to `--address` and runs `spec.run`. */
export function clientCommand(spec: ClientCommandSpec): Command {
  const help: CommandHelp = {
    usage: spec.usage,
    description: spec.description,
    options: { ...spec.options, ...CONNECTION_OPTIONS },
  };
  return {
    name: spec.name,
    async run(argv) {
      let client: LabelwiseClient | undefined;
      try {
        const commandLine = parseCommandLine(argv, help.options);
        if (commandLine.help) {
          process.stdout.write(formatHelp(help));
          return EXIT_OK;
        }
        spec.validate?.(commandLine);
        client = LabelwiseClient.fromOptions(commandLine.values);
        return await spec.run(client, commandLine);
      } catch (caught) {
        return reportFailure(caught, spec.name);
      } finally {
        client?.close();
      }
    },
  };
}
