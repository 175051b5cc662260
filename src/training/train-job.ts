/**
 * Starts a training job: checks the request and its paths at once (so a bad request fails the
 * RPC, not a queued job), then trains in a worker thread and, if asked, activates the new version.
 */
import { resolveDataSet } from '../data/data-set-request.js';
import type { JobEnvironment } from '../jobs/job-environment.js';
import type { JobRecord } from '../jobs/job.js';
import { runInWorker } from '../jobs/worker-job.js';
import { parseTrainOptions, type TrainRequestFields } from './train-options.js';
import type { TrainResultValue } from './train-result.js';
import type { TrainWorkerInput } from './train-worker.js';

/** The Train request as proto-loader delivers it. */
export interface TrainRequest extends TrainRequestFields {
  manifest: string;
  imageDir: string;
}

/** Queues a training job for `request` and returns it. */
export async function startTrainJob(
  env: JobEnvironment,
  request: TrainRequest,
): Promise<JobRecord> {
  const options = parseTrainOptions(request, await resolveDataSet(env.dataDir, request));

  return env.jobs.submit('train', request, async (context) => {
    const input: TrainWorkerInput = {
      options,
      manifestName: request.manifest,
      homeDir: env.homeDir,
      backend: env.backend,
      jobId: context.jobId,
      trainingThreads: env.trainingThreads,
    };
    const report: typeof context.report = (update) => {
      context.report(update);
      if (update.trainProgress !== undefined)
        env.metrics.trainingLoss.set(update.trainProgress.loss);
    };
    const { note, ...result } = await runInWorker<TrainResultValue>({
      moduleUrl: new URL('./train-worker.js', import.meta.url),
      input,
      context: { ...context, report },
    });
    const version = result.modelVersion;
    env.metrics.evaluationF1.set(
      { average: 'micro', model_version: version },
      result.validation.f1Micro,
    );
    env.metrics.evaluationF1.set(
      { average: 'macro', model_version: version },
      result.validation.f1Macro,
    );
    if (options.activate) await env.registry.activate(version);
    const activated = options.activate ? ' and activated it' : '';
    return {
      kind: 'train',
      value: result,
      message: `trained model version ${version}${activated}` + (note === '' ? '' : `; ${note}`),
    };
  });
}
