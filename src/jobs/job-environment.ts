/**
 * What the job launchers of training, evaluation, clustering and augmentation share: the job
 * manager, the model store and registry, metrics and the directories of the service.
 */
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import type { ModelRegistry } from '../serving/model-registry.js';
import type { ModelStore } from '../store/model-store.js';
import type { JobManager } from './job-manager.js';

/** The service parts a job launcher uses. */
export interface JobEnvironment {
  jobs: JobManager;
  store: ModelStore;
  registry: ModelRegistry;
  metrics: ServiceMetrics;
  homeDir: string;
  /** Every path in a request is resolved inside it. */
  dataDir: string;
  /** The TensorFlow.js backend job workers use. */
  backend: string;
  /** Threads a training job computes gradients on (1 or 2). */
  trainingThreads: number;
}
