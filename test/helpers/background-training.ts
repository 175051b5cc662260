/**
 * A training job that runs for as long as a test measures something beside it.
 */
import type { AsyncClient } from './test-server.js';

/**
 * Starts a long `small-cnn` training job on a generated set (manifest `colours/manifest.xlsx`,
 * images `colours/images` under the data directory) and resolves with its id once it trains.
 */
export async function startBackgroundTraining(trainer: AsyncClient): Promise<string> {
  const job = await trainer.Train({
    manifest: 'colours/manifest.xlsx',
    imageDir: 'colours/images',
    epochs: 200,
    // Early stopping would end the job before the measurement does.
    patience: 200,
    batchSize: 8,
    inputSize: 32,
    architecture: 'small-cnn',
  });
  while ((await trainer.GetJob({ id: job.id })).trainProgress === null) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return job.id;
}
