#!/usr/bin/env node
/**
 * The `labelwise` command.
 */
import { loadConfig, SETTINGS, flagName } from '../config/config.js';
import { createLogger } from '../logging/logger.js';
import { startLabelwiseServer } from '../server/labelwise-server.js';

const log = createLogger('cli');

const USAGE = `usage: labelwise <command> [options]

commands:
  serve     run the gRPC service (Predict, Train, ...) and the /metrics endpoint

serve options (each also an environment variable):
${SETTINGS.map((s) => `  ${flagName(s.env).padEnd(28)} ${s.env.padEnd(32)} ${s.description} (default ${s.fallback === '' ? 'auto' : s.fallback})`).join('\n')}
`;

async function serve(argv: string[]): Promise<void> {
  const server = await startLabelwiseServer(loadConfig(argv));
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    server.close().then(
      () => process.exit(0),
      (caught: unknown) => {
        log.error('shutdown failed', { error: caught });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'serve') {
    if (rest.includes('--help')) {
      process.stdout.write(USAGE);
      return;
    }
    await serve(rest);
    return;
  }
  process.stdout.write(USAGE);
  if (command !== undefined && command !== '--help' && command !== 'help') process.exitCode = 2;
}

main(process.argv.slice(2)).catch((caught: unknown) => {
  log.error('labelwise failed to start', { error: caught });
  process.exit(1);
});
