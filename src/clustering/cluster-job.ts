/**
 * Starts a clustering job: checks the request and its paths at once, then clusters in a worker
 * thread.
 */
import { checkTableName, parseSplit, resolveDataSet } from '../data/data-set-request.js';
import { resolveDataPath } from '../data/safe-path.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import type { JobEnvironment } from '../jobs/job-environment.js';
import type { JobRecord } from '../jobs/job.js';
import { runInWorker } from '../jobs/worker-job.js';
import { assertWritableOutput } from '../security/output-guard.js';
import type { ClusterWorkerInput, ClusterWorkerOutput } from './cluster-worker.js';

/** The Cluster request as proto-loader delivers it. */
export interface ClusterRequest {
  manifest: string;
  imageDir: string;
  clusters: number;
  pcaComponents: number;
  output: string;
  modelVersion: string;
  seed: number;
  split: string;
}

/** Defaults for fields left at zero or empty. */
export const CLUSTER_DEFAULTS = {
  clusters: 5,
  pcaComponents: 50,
  seed: 1,
  split: 'train',
} as const;

function checkCount(field: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidInputError(`${field} must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

/** Queues a clustering job for `request` and returns it. */
export async function startClusterJob(
  env: JobEnvironment,
  request: ClusterRequest,
): Promise<JobRecord> {
  const split = parseSplit(request.split, CLUSTER_DEFAULTS.split);
  checkTableName('output', request.output);
  // Features come from the named version, else the active one, else the pixel descriptor.
  const modelVersion = request.modelVersion || env.registry.activeVersion || '';
  if (modelVersion !== '') await env.store.readMetadata(modelVersion);
  const { manifestPath, imageDir } = await resolveDataSet(env.dataDir, request);
  const input: ClusterWorkerInput = {
    manifestPath,
    manifestName: request.manifest,
    imageDir,
    split,
    clusters: checkCount('clusters', request.clusters || CLUSTER_DEFAULTS.clusters, 1000),
    pcaComponents: checkCount(
      'pca_components',
      request.pcaComponents || CLUSTER_DEFAULTS.pcaComponents,
      4096,
    ),
    seed: request.seed || CLUSTER_DEFAULTS.seed,
    outputPath: await resolveDataPath(env.dataDir, request.output, {
      mustExist: false,
      field: 'output',
    }),
    outputName: request.output,
    modelVersion,
    homeDir: env.homeDir,
    backend: env.backend,
  };
  await assertWritableOutput(input.outputPath, {
    homeDir: env.homeDir,
    inputs: [manifestPath],
    field: 'output',
    shown: request.output,
  });

  return env.jobs.submit('cluster', request, async (context) => {
    const { result, note } = await runInWorker<ClusterWorkerOutput>({
      moduleUrl: new URL('./cluster-worker.js', import.meta.url),
      input,
      context,
    });
    context.log.info('clusters found', { sizes: result.sizes, features: result.features });
    const summary =
      `${result.sizes.length} clusters of sizes ${result.sizes.join(', ')} ` +
      `on ${result.features} features`;
    return {
      kind: 'cluster',
      value: result,
      message: note === '' ? summary : `${summary}; ${note}`,
    };
  });
}
