/**
 * The management `labelwise.v1.Trainer` service: background jobs and the choice of the served
 * model version.
 */
import type * as grpc from '@grpc/grpc-js';
import { InvalidInputError } from '../errors/domain-errors.js';
import { createLogger } from '../logging/logger.js';
import type { JobEnvironment } from '../jobs/job-environment.js';
import { isTerminalState, type JobRecord } from '../jobs/job.js';
import { startAugmentJob, type AugmentRequest } from '../augmentation/augment-job.js';
import { startClusterJob, type ClusterRequest } from '../clustering/cluster-job.js';
import { startEvaluateJob, type EvaluateRequest } from '../evaluation/evaluate-job.js';
import { startTrainJob, type TrainRequest } from '../training/train-job.js';
import type { JobMessage, ModelMessage } from './api-messages.js';
import { toJobMessage } from './job-message.js';
import { toModelMessage } from './model-message.js';
import { serverStream, unary, type HandlerKit } from './rpc-handlers.js';

/** What the Trainer handlers need. */
export type TrainerDependencies = JobEnvironment;

type JobRef = { id: string };

/** The Trainer service's handlers, keyed by method name. */
export function createTrainerHandlers(
  deps: TrainerDependencies,
): grpc.UntypedServiceImplementation {
  const kit: HandlerKit = { log: createLogger('trainer'), metrics: deps.metrics };
  const jobRpc = <Request>(method: string, start: (request: Request) => Promise<JobRecord>) =>
    unary<Request, JobMessage>(kit, method, async (request) => toJobMessage(await start(request)));
  // Answers only once the new job is on disk: the caller may act on its id right away.
  const submitRpc = <Request>(method: string, start: (request: Request) => Promise<JobRecord>) =>
    jobRpc<Request>(method, async (request) => {
      const job = await start(request);
      await deps.jobs.saved();
      return job;
    });
  const describe = async (version: string): Promise<ModelMessage> =>
    toModelMessage(
      version,
      await deps.store.readMetadata(version),
      version === deps.registry.activeVersion,
    );
  return {
    Train: submitRpc<TrainRequest>('Train', (request) => startTrainJob(deps, request)),
    Evaluate: submitRpc<EvaluateRequest>('Evaluate', (request) => startEvaluateJob(deps, request)),
    Cluster: submitRpc<ClusterRequest>('Cluster', (request) => startClusterJob(deps, request)),
    Augment: submitRpc<AugmentRequest>('Augment', (request) => startAugmentJob(deps, request)),
    GetJob: jobRpc<JobRef>('GetJob', async (request) => deps.jobs.get(request.id)),
    CancelJob: jobRpc<JobRef>('CancelJob', async (request) => deps.jobs.cancel(request.id)),
    ListJobs: unary<object, { jobs: JobMessage[] }>(kit, 'ListJobs', async () => ({
      jobs: deps.jobs.list().map(toJobMessage),
    })),
    WatchJob: serverStream<JobRef, JobMessage>(kit, 'WatchJob', (request, send, context) =>
      watchUntilDone(deps, request.id, send, context.signal),
    ),
    ListModels: unary<object, { models: ModelMessage[] }>(kit, 'ListModels', async () => {
      const versions = (await deps.store.listVersions()).reverse();
      return { models: await Promise.all(versions.map(describe)) };
    }),
    ActivateModel: unary<{ version: string }, ModelMessage>(
      kit,
      'ActivateModel',
      async (request) => {
        if (request.version === '') throw new InvalidInputError('version is required');
        await deps.registry.activate(request.version);
        kit.log.info('model activated by request', { modelVersion: request.version });
        return describe(request.version);
      },
    ),
  };
}

/** Sends the job now and on every change, until it ends or the caller goes away. */
function watchUntilDone(
  deps: TrainerDependencies,
  id: string,
  send: (message: JobMessage) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let unsubscribe: (() => void) | undefined;
    let done = false;
    const finish = (): void => {
      done = true;
      unsubscribe?.();
      resolve();
    };
    try {
      unsubscribe = deps.jobs.watch(id, (job) => {
        if (done) return;
        send(toJobMessage(job));
        if (isTerminalState(job.state)) finish();
      });
    } catch (caught) {
      reject(caught);
      return;
    }
    if (done) unsubscribe();
    signal.addEventListener('abort', finish, { once: true });
  });
}
