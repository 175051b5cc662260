/**
 * `labelwise serve`: runs the service until SIGTERM or SIGINT. Its options are the SETTINGS
 * table, each also an environment variable.
 */
import { loadConfig, SETTINGS, flagName } from '../../config/config.js';
import { createLogger } from '../../logging/logger.js';
import { startLabelwiseServer } from '../../server/labelwise-server.js';
import type { Command } from '../command.js';
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.js';

const log = createLogger('cli');

/** The SETTINGS table as help lines: flag, environment variable, meaning and default. */
export function formatSettingsHelp(): string {
  return SETTINGS.map(
    (s) =>
      `  ${flagName(s.env).padEnd(28)} ${s.env.padEnd(32)} ${s.description} ` +
      (s.fallback === '' ? '(unset by default)' : `(default ${s.fallback})`),
  ).join('\n');
}

const HELP = `usage: labelwise serve [options]

Runs the gRPC service (Classifier, Trainer, health, reflection) and the Prometheus /metrics
endpoint until SIGTERM or SIGINT, then lets in-flight calls finish within the grace period.

options (each also an environment variable; flags win):
${formatSettingsHelp()}
`;

/** The `serve` subcommand. */
export const serveCommand: Command = {
  name: 'serve',
  async run(argv) {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(HELP);
      return EXIT_OK;
    }
    let server;
    try {
      server = await startLabelwiseServer(loadConfig(argv));
    } catch (caught) {
      log.error('labelwise failed to start', { error: caught });
      return EXIT_FAILURE;
    }
    const running = server;
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info('shutting down', { signal });
      running.close().then(
        () => process.exit(EXIT_OK),
        (caught: unknown) => {
          log.error('shutdown failed', { error: caught });
          process.exit(EXIT_FAILURE);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // Resolving would let main set an exit code; the signal handlers end the process instead.
    return new Promise<number>(() => {});
  },
};
