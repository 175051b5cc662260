/**
 * Composes the service: backend, model store and registry, batching predictor, background jobs,
 * the gRPC server (with health and reflection) and the metrics endpoint.
 */
import { mkdir } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { selectBackend } from '../backend/select-backend.js';
import type { Config } from '../config/config.js';
import { createClassifierHandlers } from '../grpc/classifier-service.js';
import {
  CLASSIFIER_SERVICE,
  labelwiseV1,
  packageDefinition,
  TRAINER_SERVICE,
} from '../grpc/proto-definition.js';
import { createTrainerHandlers } from '../grpc/trainer-service.js';
import { JobManager } from '../jobs/job-manager.js';
import type { JobEnvironment } from '../jobs/job-environment.js';
import { JobStore } from '../jobs/job-store.js';
import type { JobRecord } from '../jobs/job.js';
import { createLogger } from '../logging/logger.js';
import { startMetricsHttpServer, type MetricsHttpServer } from '../metrics/metrics-http-server.js';
import { ServiceMetrics } from '../metrics/service-metrics.js';
import { InferenceWorker } from '../serving/inference-worker.js';
import { ModelRegistry } from '../serving/model-registry.js';
import { PredictBatcher } from '../serving/predict-batcher.js';
import { Predictor } from '../serving/predictor.js';
import { ModelStore } from '../store/model-store.js';
import { classifierPolicy, trainerPolicy } from '../security/access-policy.js';
import { guardService } from '../security/guard-service.js';
import { loadServerCredentials, transportModeOf } from '../security/server-credentials.js';

const log = createLogger('server');

/** A running labelwise server. */
export interface LabelwiseServer {
  /** The bound gRPC port (useful when configured as 0). */
  grpcPort: number;
  metricsPort: number;
  backend: string;
  registry: ModelRegistry;
  /** The worker thread that runs the served models. */
  inference: InferenceWorker;
  store: ModelStore;
  metrics: ServiceMetrics;
  /** Stops accepting calls, lets in-flight ones finish (up to the grace period), frees models. */
  close(): Promise<void>;
}

/** Starts every part of the service with `config`. */
export async function startLabelwiseServer(config: Config): Promise<LabelwiseServer> {
  const backend = await selectBackend(config.backend);
  const metrics = new ServiceMetrics();
  metrics.setBackend(backend);
  await mkdir(config.dataDir, { recursive: true });

  const store = new ModelStore(config.homeDir);
  await store.init();
  const inference = new InferenceWorker({ homeDir: config.homeDir, backend });
  metrics.observeTensorMemory(() => inference.memory());
  const registry = new ModelRegistry(store, inference, metrics);
  const batcher = new PredictBatcher(config, metrics);
  const predictor = new Predictor(registry, batcher, config, metrics);
  const jobs = await JobManager.open({
    store: new JobStore(config.homeDir),
    onStateChange: (job) => recordJobMetrics(metrics, job),
  });
  const jobEnvironment: JobEnvironment = {
    jobs,
    store,
    registry,
    metrics,
    homeDir: config.homeDir,
    dataDir: config.dataDir,
    backend,
    trainingThreads: config.trainingThreads,
  };

  const health = new HealthImplementation({
    '': 'SERVING',
    [CLASSIFIER_SERVICE]: 'NOT_SERVING',
    [TRAINER_SERVICE]: 'SERVING',
  });
  registry.onReadyChange((ready) =>
    health.setStatus(CLASSIFIER_SERVICE, ready ? 'SERVING' : 'NOT_SERVING'),
  );

  const server = new grpc.Server({
    'grpc.max_receive_message_length': config.maxMessageBytes,
    'grpc.max_send_message_length': config.maxMessageBytes,
  });
  const accessKit = { log: createLogger('access'), metrics };
  server.addService(
    labelwiseV1.Classifier.service,
    guardService(
      labelwiseV1.Classifier.service,
      createClassifierHandlers({ predictor, registry, store, metrics }),
      classifierPolicy(config.classifierToken),
      accessKit,
    ),
  );
  server.addService(
    labelwiseV1.Trainer.service,
    guardService(
      labelwiseV1.Trainer.service,
      createTrainerHandlers(jobEnvironment),
      trainerPolicy(config.adminToken),
      accessKit,
    ),
  );
  health.addToServer(server);
  new ReflectionService(packageDefinition).addToServer(server);

  // Read before anything listens, so a bad certificate path stops start-up.
  const credentials = await loadServerCredentials(config);
  await registry.start(config.storePollIntervalMs);
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${config.host}:${config.port}`, credentials, (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
  let metricsServer: MetricsHttpServer;
  try {
    metricsServer = await startMetricsHttpServer(metrics.registry, config.host, config.metricsPort);
  } catch (caught) {
    server.forceShutdown();
    throw caught;
  }
  log.info('labelwise serving', {
    grpcPort,
    metricsPort: metricsServer.port,
    backend,
    modelVersion: registry.activeVersion ?? null,
    transport: transportModeOf(config),
    trainerAccess: config.adminToken === '' ? 'loopback-only' : 'token',
    classifierAccess: config.classifierToken === '' ? 'open' : 'token',
  });

  const close = async (): Promise<void> => {
    health.setStatus('', 'NOT_SERVING');
    health.setStatus(CLASSIFIER_SERVICE, 'NOT_SERVING');
    await shutdownGracefully(server, config.shutdownGraceMs);
    await jobs.close();
    await metricsServer.close();
    await registry.close();
    await inference.close();
    log.info('labelwise stopped');
  };
  return {
    grpcPort,
    metricsPort: metricsServer.port,
    backend,
    registry,
    inference,
    store,
    metrics,
    close,
  };
}

function recordJobMetrics(metrics: ServiceMetrics, job: JobRecord): void {
  metrics.jobs.inc({ kind: job.kind, state: job.state });
  if (job.kind !== 'train') return;
  const running = job.state === 'running';
  metrics.trainingProgress.set(running ? job.progress : 0);
  metrics.trainingEpoch.set(running ? (job.trainProgress?.epoch ?? 0) : 0);
}

async function shutdownGracefully(server: grpc.Server, graceMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      log.warn('in-flight calls did not finish in time; forcing shutdown', { graceMs });
      server.forceShutdown();
      resolve();
    }, graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
