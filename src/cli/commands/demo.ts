/**
 * `labelwise demo`: the whole service end to end on generated data, in about two minutes on two
 * cores, with nothing downloaded.
 */
import { loadConfig, SETTINGS, flagName } from '../../config/config.js';
import { setLogLevel } from '../../logging/logger.js';
import type { Command } from '../command.js';
import {
  booleanOption,
  formatHelp,
  numberOption,
  parseCommandLine,
  type OptionSpecs,
} from '../command-line.js';
import { runDemo } from '../demo-run.js';
import { EXIT_OK } from '../exit-codes.js';
import { reportFailure } from '../failure-report.js';
import { UsageError } from '../usage-error.js';

const DEMO_OPTIONS: OptionSpecs = {
  images: { type: 'string', valueName: 'N', description: 'images to generate', defaultText: '400' },
  epochs: { type: 'string', valueName: 'N', description: 'training epochs', defaultText: '6' },
  'input-size': {
    type: 'string',
    valueName: 'PX',
    description: 'image and model input side',
    defaultText: '32',
  },
  seed: {
    type: 'string',
    valueName: 'N',
    description: 'random seed of data and training',
    defaultText: '7',
  },
  'keep-serving': {
    type: 'boolean',
    description: 'keep the server running afterwards (Ctrl-C stops it)',
  },
};

const SETTING_OPTIONS: OptionSpecs = Object.fromEntries(
  SETTINGS.map((s) => [
    flagName(s.env).slice(2),
    {
      type: 'string' as const,
      valueName: 'VALUE',
      description: `${s.description}; also ${s.env}`,
      defaultText: s.fallback === '' ? 'auto' : String(s.fallback),
    },
  ]),
);

const HELP = {
  usage: 'labelwise demo [options]',
  description: `
Generates a small imbalanced multi-label image set (coloured squares) in <data dir>/demo, starts
the server in this process with the configured home and data directories, trains a small CNN
over gRPC, activates it, evaluates the test split and predicts a few images, printing each step.
Then it stops, unless --keep-serving. Nothing is downloaded. The server options are those of
"labelwise serve".`,
  options: { ...DEMO_OPTIONS, ...SETTING_OPTIONS },
};

/** The `demo` subcommand. */
export const demoCommand: Command = {
  name: 'demo',
  async run(argv) {
    try {
      const { values, positionals, help } = parseCommandLine(argv, HELP.options);
      if (help) {
        process.stdout.write(formatHelp(HELP));
        return EXIT_OK;
      }
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      const settingsArgv = Object.keys(SETTING_OPTIONS).flatMap((name) => {
        const value = values[name];
        return typeof value === 'string' ? [`--${name}`, value] : [];
      });
      // A demo that stops by itself takes free ports, so it runs beside a server started with
      // `npm start`; one that keeps serving takes the configured ones.
      const explicitPorts = ['port', 'metrics-port'].some((name) => values[name] !== undefined);
      const ephemeral = values['keep-serving'] !== true && !explicitPorts;
      const config = loadConfig(
        settingsArgv,
        process.env,
        ephemeral ? { port: 0, metricsPort: 0 } : {},
      );
      // The server's JSON log lines would drown the story; warnings and errors still show. The
      // variable reaches the job worker threads, which read it when they start.
      if (process.env.LABELWISE_LOG_LEVEL === undefined) {
        process.env.LABELWISE_LOG_LEVEL = 'warn';
        setLogLevel('warn');
      }
      const say = (line: string): void => void process.stdout.write(`${line}\n`);
      const outcome = await runDemo({
        config,
        imageCount: numberOption(values, 'images', { min: 20, integer: true }) ?? 400,
        epochs: numberOption(values, 'epochs', { min: 1, integer: true }) ?? 6,
        inputSizePx: numberOption(values, 'input-size', { min: 16, integer: true }) ?? 32,
        seed: numberOption(values, 'seed', { min: 0, integer: true }) ?? 7,
        say,
      });
      if (!booleanOption(values, 'keep-serving')) {
        await outcome.server.close();
        say('7. Stopped the server. Run "labelwise demo --keep-serving" to keep it up.');
        return EXIT_OK;
      }
      say(
        `7. Still serving at ${outcome.address}; ` +
          `try "labelwise predict --address ${outcome.address} <image>". Ctrl-C stops it.`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await outcome.server.close();
      return EXIT_OK;
    } catch (caught) {
      return reportFailure(caught, 'demo');
    }
  },
};
