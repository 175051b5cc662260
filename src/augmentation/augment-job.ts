/**
 * Starts an augmentation job: checks the request and its paths at once, then augments in a
 * worker thread.
 */
import { checkTableName, resolveDataSet } from '../data/data-set-request.js';
import { resolveDataPath } from '../data/safe-path.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import type { JobEnvironment } from '../jobs/job-environment.js';
import type { JobRecord } from '../jobs/job.js';
import { runInWorker } from '../jobs/worker-job.js';
import { assertWritableOutput } from '../security/output-guard.js';
import type { AugmentWorkerInput, AugmentWorkerOutput } from './augment-worker.js';

/** The Augment request as proto-loader delivers it. */
export interface AugmentRequest {
  manifest: string;
  imageDir: string;
  clusters: string;
  outputManifest: string;
  outputDir: string;
  seed: number;
  policy: string;
  targetRatio: number;
}

/** Queues an augmentation job for `request` and returns it. */
export async function startAugmentJob(
  env: JobEnvironment,
  request: AugmentRequest,
): Promise<JobRecord> {
  const policy = request.policy || 'clusters';
  if (policy !== 'clusters' && policy !== 'labels') {
    throw new InvalidInputError(`policy must be "clusters" or "labels", got "${policy}"`);
  }
  const targetRatio = request.targetRatio || 1;
  if (!(targetRatio > 0 && targetRatio <= 1)) {
    throw new InvalidInputError(`target_ratio must be above 0 and at most 1, got ${targetRatio}`);
  }
  if (policy === 'clusters' && request.clusters === '') {
    throw new InvalidInputError(
      'policy "clusters" needs the assignment file a Cluster job wrote (clusters)',
    );
  }
  checkTableName('output_manifest', request.outputManifest);
  const { manifestPath, imageDir } = await resolveDataSet(env.dataDir, request);
  const input: AugmentWorkerInput = {
    manifestPath,
    manifestName: request.manifest,
    imageDir,
    clustersPath:
      policy === 'clusters'
        ? await resolveDataPath(env.dataDir, request.clusters, {
            mustExist: true,
            field: 'clusters',
          })
        : '',
    outputManifestPath: await resolveDataPath(env.dataDir, request.outputManifest, {
      mustExist: false,
      field: 'output_manifest',
    }),
    outputManifestName: request.outputManifest,
    outputDir: await resolveDataPath(env.dataDir, request.outputDir, {
      mustExist: false,
      field: 'output_dir',
    }),
    seed: request.seed || 1,
    policy,
    targetRatio,
  };
  if (input.outputManifestPath === manifestPath) {
    throw new InvalidInputError(
      'output_manifest must differ from manifest: the input is never modified',
    );
  }
  const inputs = [manifestPath, input.clustersPath].filter((file) => file !== '');
  await assertWritableOutput(input.outputManifestPath, {
    homeDir: env.homeDir,
    inputs,
    field: 'output_manifest',
    shown: request.outputManifest,
  });
  await assertWritableOutput(input.outputDir, {
    homeDir: env.homeDir,
    inputs,
    field: 'output_dir',
    shown: request.outputDir,
  });

  return env.jobs.submit('augment', request, async (context) => {
    const { result, note } = await runInWorker<AugmentWorkerOutput>({
      moduleUrl: new URL('./augment-worker.js', import.meta.url),
      input,
      context,
    });
    const summary =
      `added ${result.imagesAdded} augmented images (${result.redraws} redrawn) ` +
      `to ${result.outputManifest}`;
    return {
      kind: 'augment',
      value: result,
      message: note === '' ? summary : `${summary}; ${note}`,
    };
  });
}
