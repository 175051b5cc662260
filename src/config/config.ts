/**
 * Service configuration from environment variables, each overridable by a command-line flag of
 * the same name (`LABELWISE_MAX_BATCH_SIZE` is `--max-batch-size`).
 */
import path from 'node:path';
import { InvalidInputError } from '../errors/domain-errors.js';

/** Everything the server needs to start. */
export interface Config {
  /** gRPC port; 0 picks a free one. */
  port: number;
  host: string;
  /** Port of the Prometheus `/metrics` endpoint; 0 picks a free one. */
  metricsPort: number;
  /** Model store and job store live here. */
  homeDir: string;
  /** Every path in a request is resolved inside this directory. */
  dataDir: string;
  /** `tensorflow-gpu`, `tensorflow`, `wasm` or `cpu`; empty picks the best available. */
  backend: string;
  /** Most images merged into one model call. */
  maxBatchSize: number;
  /** Longest a queued image waits for others to join its batch. */
  maxQueueDelayMs: number;
  /** Images waiting beyond this depth make Predict fail fast with RESOURCE_EXHAUSTED. */
  maxQueueDepth: number;
  maxImagesPerRequest: number;
  /** Largest gRPC message accepted, in bytes. */
  maxMessageBytes: number;
  /** Images with more pixels than this are refused before decoding. */
  maxImagePixels: number;
  /** How often the active-version pointer is re-read when file watching misses a change. */
  storePollIntervalMs: number;
  /** Time given to in-flight calls on SIGTERM before the server is forced down. */
  shutdownGraceMs: number;
  /**
   * Threads a training job computes gradients on: 1 leaves the other core to serving (Predict
   * latency stays flat), 2 splits every batch over two threads (training about 1.6x faster).
   */
  trainingThreads: number;
  /** Bearer token every Trainer call must carry; empty limits the Trainer to loopback callers. */
  adminToken: string;
  /** Bearer token every Classifier call must carry; empty leaves the Classifier open. */
  classifierToken: string;
  /** PEM certificate chain; set (with the key) to serve over TLS. */
  tlsCertPath: string;
  /** PEM private key of the certificate. */
  tlsKeyPath: string;
  /** PEM CA bundle; set to require client certificates signed by it (mutual TLS). */
  tlsCaPath: string;
}

interface Setting {
  env: string;
  key: keyof Config;
  fallback: string | number;
  description: string;
}

/** Every setting, its variable and its default: the README's configuration table. */
export const SETTINGS: readonly Setting[] = [
  { env: 'LABELWISE_PORT', key: 'port', fallback: 50051, description: 'gRPC port' },
  { env: 'LABELWISE_HOST', key: 'host', fallback: '0.0.0.0', description: 'gRPC bind address' },
  {
    env: 'LABELWISE_METRICS_PORT',
    key: 'metricsPort',
    fallback: 9464,
    description: 'Prometheus /metrics port',
  },
  { env: 'LABELWISE_HOME', key: 'homeDir', fallback: './var', description: 'model and job store' },
  {
    env: 'LABELWISE_DATA_DIR',
    key: 'dataDir',
    fallback: './data',
    description: 'root of every path in a request',
  },
  {
    env: 'LABELWISE_BACKEND',
    key: 'backend',
    fallback: '',
    description: 'force tensorflow-gpu, tensorflow, wasm or cpu',
  },
  {
    env: 'LABELWISE_MAX_BATCH_SIZE',
    key: 'maxBatchSize',
    fallback: 32,
    description: 'images merged into one model call',
  },
  {
    env: 'LABELWISE_MAX_QUEUE_DELAY_MS',
    key: 'maxQueueDelayMs',
    fallback: 2,
    description: 'longest wait for a batch to fill',
  },
  {
    env: 'LABELWISE_MAX_QUEUE_DEPTH',
    key: 'maxQueueDepth',
    fallback: 2048,
    description: 'queued images before RESOURCE_EXHAUSTED',
  },
  {
    env: 'LABELWISE_MAX_IMAGES_PER_REQUEST',
    key: 'maxImagesPerRequest',
    fallback: 256,
    description: 'images in one Predict call',
  },
  {
    env: 'LABELWISE_MAX_MESSAGE_BYTES',
    key: 'maxMessageBytes',
    fallback: 64 * 1024 * 1024,
    description: 'largest gRPC message',
  },
  {
    env: 'LABELWISE_MAX_IMAGE_PIXELS',
    key: 'maxImagePixels',
    fallback: 50_000_000,
    description: 'largest image, in pixels, before decoding',
  },
  {
    env: 'LABELWISE_STORE_POLL_INTERVAL_MS',
    key: 'storePollIntervalMs',
    fallback: 2000,
    description: 're-read of the active version',
  },
  {
    env: 'LABELWISE_SHUTDOWN_GRACE_MS',
    key: 'shutdownGraceMs',
    fallback: 10_000,
    description: 'time for in-flight calls on SIGTERM',
  },
  {
    env: 'LABELWISE_TRAINING_THREADS',
    key: 'trainingThreads',
    fallback: 1,
    description: 'threads a training job uses (1 or 2)',
  },
  {
    env: 'LABELWISE_ADMIN_TOKEN',
    key: 'adminToken',
    fallback: '',
    description: 'bearer token for Trainer calls; unset: loopback callers only',
  },
  {
    env: 'LABELWISE_CLASSIFIER_TOKEN',
    key: 'classifierToken',
    fallback: '',
    description: 'bearer token for Classifier calls; unset: open',
  },
  { env: 'LABELWISE_TLS_CERT', key: 'tlsCertPath', fallback: '', description: 'PEM certificate' },
  { env: 'LABELWISE_TLS_KEY', key: 'tlsKeyPath', fallback: '', description: 'PEM private key' },
  {
    env: 'LABELWISE_TLS_CA',
    key: 'tlsCaPath',
    fallback: '',
    description: 'PEM CA; set to require client certificates',
  },
];

function flagName(env: string): string {
  return (
    '--' +
    env
      .replace(/^LABELWISE_/, '')
      .toLowerCase()
      .replace(/_/g, '-')
  );
}

function readFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(0, eq), arg.slice(eq + 1));
    else if (i + 1 < argv.length) flags.set(arg, argv[++i] ?? '');
  }
  return flags;
}

/**
 * Builds the configuration: flags beat environment variables, which beat defaults.
 * `overrides` (used by tests and embedding code) beat everything.
 */
export function loadConfig(
  argv: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Config> = {},
): Config {
  const flags = readFlags(argv);
  const config: Record<string, string | number> = {};
  for (const setting of SETTINGS) {
    const raw = flags.get(flagName(setting.env)) ?? env[setting.env];
    if (raw === undefined || raw === '') {
      config[setting.key] = setting.fallback;
    } else if (typeof setting.fallback === 'number') {
      const value = Number(raw);
      if (!Number.isFinite(value) || value < 0) {
        throw new InvalidInputError(`${setting.env} must be a non-negative number, got "${raw}"`);
      }
      config[setting.key] = value;
    } else {
      config[setting.key] = raw;
    }
  }
  const merged = { ...(config as unknown as Config), ...overrides };
  return {
    ...merged,
    homeDir: path.resolve(merged.homeDir),
    dataDir: path.resolve(merged.dataDir),
  };
}

/** The flag that sets an environment variable's setting. */
export { flagName };
