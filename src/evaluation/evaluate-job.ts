/**
 * Starts an evaluation job: checks the request and its paths at once, then scores the split in a
 * worker thread and exports the F1 figures as gauges.
 */
import { parseSplit, resolveDataSet } from '../data/data-set-request.js';
import { InvalidInputError, PreconditionError } from '../errors/domain-errors.js';
import type { JobEnvironment } from '../jobs/job-environment.js';
import type { JobRecord } from '../jobs/job.js';
import { runInWorker } from '../jobs/worker-job.js';
import type { EvaluateWorkerInput, EvaluateWorkerOutput } from './evaluate-worker.js';

/** The Evaluate request as proto-loader delivers it. */
export interface EvaluateRequest {
  manifest: string;
  imageDir: string;
  split: string;
  modelVersion: string;
  threshold?: number | null;
}

/** Queues an evaluation job for `request` and returns it. */
export async function startEvaluateJob(
  env: JobEnvironment,
  request: EvaluateRequest,
): Promise<JobRecord> {
  const split = parseSplit(request.split, 'test');
  const threshold = request.threshold ?? undefined;
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) {
    throw new InvalidInputError(`threshold must be from 0 to 1, got ${threshold}`);
  }
  const modelVersion = request.modelVersion || env.registry.activeVersion;
  if (modelVersion === undefined) {
    throw new PreconditionError('no model is active; name a model_version to evaluate');
  }
  await env.store.readMetadata(modelVersion);
  const input: EvaluateWorkerInput = {
    ...(await resolveDataSet(env.dataDir, request)),
    manifestName: request.manifest,
    split,
    modelVersion,
    threshold,
    homeDir: env.homeDir,
    backend: env.backend,
  };

  return env.jobs.submit('evaluate', request, async (context) => {
    const { result, note } = await runInWorker<EvaluateWorkerOutput>({
      moduleUrl: new URL('./evaluate-worker.js', import.meta.url),
      input,
      context,
    });
    env.metrics.evaluationF1.set({ average: 'micro', model_version: modelVersion }, result.f1Micro);
    env.metrics.evaluationF1.set({ average: 'macro', model_version: modelVersion }, result.f1Macro);
    const summary =
      `model version ${modelVersion} on ${result.images} ${split} images: ` +
      `F1 micro ${result.f1Micro.toFixed(3)}, macro ${result.f1Macro.toFixed(3)}`;
    return {
      kind: 'evaluate',
      value: result,
      message: note === '' ? summary : `${summary}; ${note}`,
    };
  });
}
