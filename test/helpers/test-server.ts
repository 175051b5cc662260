/**
 * Starts a real labelwise server on free ports over a temporary store, with gRPC clients.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ExecutionContext } from 'ava';
import { selectBackend } from '../../src/backend/select-backend.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { labelwiseV1 } from '../../src/grpc/proto-definition.js';
import { setLogLevel, type LogLevel } from '../../src/logging/logger.js';
import { ModelStore } from '../../src/store/model-store.js';
import { startLabelwiseServer, type LabelwiseServer } from '../../src/server/labelwise-server.js';

// Quiet by default; worker threads read the same variable when they start.
process.env.LABELWISE_LOG_LEVEL ??= 'error';
setLogLevel(process.env.LABELWISE_LOG_LEVEL as LogLevel);

type RpcName =
  | 'Predict'
  | 'GetModel'
  | 'Train'
  | 'Cluster'
  | 'Augment'
  | 'Evaluate'
  | 'GetJob'
  | 'CancelJob'
  | 'ListJobs'
  | 'ListModels'
  | 'ActivateModel';

/** A promise-returning view of a gRPC client's unary methods. */
export type AsyncClient = Record<
  RpcName,
  (request: object, options?: grpc.CallOptions) => Promise<any>
>;

/** Wraps every unary method of a generated client in a promise. */
export function promisify(client: grpc.Client, metadata = new grpc.Metadata()): AsyncClient {
  return new Proxy({} as AsyncClient, {
    get:
      (_target, method: string) =>
      (request: object, options: grpc.CallOptions = {}) =>
        new Promise((resolve, reject) => {
          const fn = (client as unknown as Record<string, Function>)[method];
          if (typeof fn !== 'function') throw new Error(`no method ${method}`);
          fn.call(client, request, metadata, options, (error: Error | null, response: unknown) =>
            error ? reject(error) : resolve(response),
          );
        }),
  });
}

/** A server with its store, clients and directories. */
export interface TestServer {
  server: LabelwiseServer;
  config: Config;
  store: ModelStore;
  homeDir: string;
  dataDir: string;
  address: string;
  classifier: AsyncClient;
  trainer: AsyncClient;
  rawClassifier: grpc.Client;
  rawTrainer: grpc.Client;
}

/** Makes a temporary home and data directory; removed when the test ends. */
export async function makeDirectories(
  t: ExecutionContext,
): Promise<{ homeDir: string; dataDir: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'labelwise-test-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  return { homeDir: path.join(root, 'home'), dataDir: path.join(root, 'data') };
}

/**
 * Starts a server on port 0 over `homeDir` (a new one unless given); `prepare` can fill the
 * store first. Everything is closed in `t.teardown`.
 */
export async function startTestServer(
  t: ExecutionContext,
  options: {
    prepare?: (store: ModelStore) => Promise<void>;
    config?: Partial<Config>;
    directories?: { homeDir: string; dataDir: string };
  } = {},
): Promise<TestServer> {
  const { homeDir, dataDir } = options.directories ?? (await makeDirectories(t));
  const backend = process.env.LABELWISE_BACKEND ?? 'wasm';
  await selectBackend(backend);
  const store = new ModelStore(homeDir);
  await store.init();
  await options.prepare?.(store);
  const config = loadConfig(
    [],
    {},
    {
      port: 0,
      metricsPort: 0,
      host: '127.0.0.1',
      homeDir,
      dataDir,
      backend,
      storePollIntervalMs: 200,
      shutdownGraceMs: 2000,
      ...options.config,
    },
  );
  const server = await startLabelwiseServer(config);
  const address = `127.0.0.1:${server.grpcPort}`;
  const credentials = grpc.credentials.createInsecure();
  const clientOptions = {
    'grpc.max_receive_message_length': 128 * 1024 * 1024,
    'grpc.max_send_message_length': 128 * 1024 * 1024,
  };
  const rawClassifier = new labelwiseV1.Classifier(address, credentials, clientOptions);
  const rawTrainer = new labelwiseV1.Trainer(address, credentials, clientOptions);
  t.teardown(async () => {
    rawClassifier.close();
    rawTrainer.close();
    await server.close();
  });
  return {
    server,
    config,
    store,
    homeDir,
    dataDir,
    address,
    classifier: promisify(rawClassifier),
    trainer: promisify(rawTrainer),
    rawClassifier,
    rawTrainer,
  };
}
