/**
 * `labelwise health`: asks a server's grpc.health.v1 service whether it is serving, for container
 * health checks. Exit code 0 means SERVING; anything else, including no answer, is 1.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';
import type { Command } from '../command.js';
import { formatHelp, numberOption, parseCommandLine, stringOption } from '../command-line.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';
import { reportFailure } from '../failure-report.js';
import { DEFAULT_ADDRESS } from '../labelwise-client.js';
import { UsageError } from '../usage-error.js';

const DEFAULT_DEADLINE_SECONDS = 5;

const HELP = {
  usage: 'labelwise health [options]',
  description: `
Calls grpc.health.v1.Health/Check and exits 0 when the answer is SERVING, 1 otherwise (including
when the server does not answer in time). The empty service name asks about the server as a
whole; labelwise.v1.Classifier is SERVING only once a model is loaded.`,
  options: {
    address: {
      type: 'string' as const,
      valueName: 'HOST:PORT',
      description: 'server to ask',
      defaultText: DEFAULT_ADDRESS,
    },
    service: {
      type: 'string' as const,
      valueName: 'NAME',
      description: 'service to ask about',
      defaultText: 'the whole server',
    },
    'deadline-seconds': {
      type: 'string' as const,
      valueName: 'S',
      description: 'longest wait for the answer',
      defaultText: String(DEFAULT_DEADLINE_SECONDS),
    },
    quiet: { type: 'boolean' as const, description: 'print nothing, only set the exit code' },
  },
};

type HealthClient = grpc.Client & {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response: { status: string }) => void,
  ): void;
};

function healthClientConstructor(): new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => HealthClient {
  const definition = protoLoader.loadSync(HEALTH_PROTO_PATH, { enums: String, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: {
      health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials) => HealthClient } };
    };
  };
  return loaded.grpc.health.v1.Health;
}

/** The `health` subcommand. */
export const healthCommand: Command = {
  name: 'health',
  async run(argv) {
    let client: HealthClient | undefined;
    try {
      const { values, positionals, help } = parseCommandLine(argv, HELP.options);
      if (help) {
        process.stdout.write(formatHelp(HELP));
        return EXIT_OK;
      }
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      const deadlineSeconds =
        numberOption(values, 'deadline-seconds', { min: 0.001 }) ?? DEFAULT_DEADLINE_SECONDS;
      const service = stringOption(values, 'service') ?? '';
      const Health = healthClientConstructor();
      client = new Health(
        stringOption(values, 'address') ?? DEFAULT_ADDRESS,
        grpc.credentials.createInsecure(),
      );
      const target = client;
      const { status } = await new Promise<{ status: string }>((resolve, reject) =>
        target.Check(
          { service },
          { deadline: Date.now() + deadlineSeconds * 1000 },
          (error, response) => (error ? reject(error) : resolve(response)),
        ),
      );
      if (values.quiet !== true) process.stdout.write(`${status}\n`);
      return status === 'SERVING' ? EXIT_OK : EXIT_FAILURE;
    } catch (caught) {
      return reportFailure(caught, 'health');
    } finally {
      client?.close();
    }
  },
};
