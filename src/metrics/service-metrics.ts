/**
 * Every Prometheus metric the service exports, in one registry. Names follow Prometheus
 * conventions: a `labelwise_` prefix, base units (`_seconds`, `_bytes`) and `_total` on counters.
 */
import * as tf from '@tensorflow/tfjs-core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** Live tensor figures of a TensorFlow.js engine. */
export interface TensorMemory {
  numTensors: number;
  numBytes: number;
}

/** The service's metrics; one instance per server so that tests can run several servers. */
export class ServiceMetrics {
  readonly registry = new Registry();
  private tensorMemory: () => Promise<TensorMemory> = async () => tf.memory();

  readonly rpcRequests = new Counter({
    name: 'labelwise_rpc_requests_total',
    help: 'RPCs answered, by method and gRPC status code name.',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });

  readonly rpcDuration = new Histogram({
    name: 'labelwise_rpc_duration_seconds',
    help: 'Time from receiving an RPC to answering it.',
    labelNames: ['method'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly queueDuration = new Histogram({
    name: 'labelwise_predict_queue_duration_seconds',
    help: 'Time an image waited in the batching queue before its model call started.',
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly inferenceDuration = new Histogram({
    name: 'labelwise_inference_duration_seconds',
    help: 'Time of one batched model call, from tensor to probabilities.',
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly decodeDuration = new Histogram({
    name: 'labelwise_image_decode_duration_seconds',
    help: 'Time to decode and resize one image.',
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'labelwise_batch_size_images',
    help: 'Images per batched model call.',
    buckets: BATCH_SIZE_BUCKETS,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'labelwise_predict_queue_depth_images',
    help: 'Images waiting for a model call.',
    registers: [this.registry],
  });

  readonly imagesPredicted = new Counter({
    name: 'labelwise_images_predicted_total',
    help: 'Images scored by a model.',
    registers: [this.registry],
  });

  readonly rejectedImages = new Counter({
    name: 'labelwise_predict_rejected_total',
    help: 'Predict calls refused before a model call, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly activeModel = new Gauge({
    name: 'labelwise_active_model_info',
    help: 'Always 1, labelled with the model version being served.',
    labelNames: ['version'] as const,
    registers: [this.registry],
  });

  readonly backend = new Gauge({
    name: 'labelwise_backend_info',
    help: 'Always 1, labelled with the TensorFlow.js backend in use.',
    labelNames: ['backend'] as const,
    registers: [this.registry],
  });

  readonly modelLoadDuration = new Histogram({
    name: 'labelwise_model_load_duration_seconds',
    help: 'Time to load and warm up a model version.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly modelSwaps = new Counter({
    name: 'labelwise_model_swaps_total',
    help: 'Times the active model changed, by outcome (ok or failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly jobs = new Counter({
    name: 'labelwise_jobs_total',
    help: 'Background jobs that reached a state, by kind and state.',
    labelNames: ['kind', 'state'] as const,
    registers: [this.registry],
  });

  readonly trainingEpoch = new Gauge({
    name: 'labelwise_training_epoch',
    help: 'Epoch of the running training job (0 when none runs).',
    registers: [this.registry],
  });

  readonly trainingProgress = new Gauge({
    name: 'labelwise_training_progress_ratio',
    help: 'Progress of the running job, from 0 to 1.',
    registers: [this.registry],
  });

  readonly trainingLoss = new Gauge({
    name: 'labelwise_training_loss',
    help: 'Latest training loss of the running training job.',
    registers: [this.registry],
  });

  readonly evaluationF1 = new Gauge({
    name: 'labelwise_evaluation_f1',
    help: 'F1 of the latest evaluation or training validation, by average (micro or macro).',
    labelNames: ['average', 'model_version'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'labelwise_' });
    // prom-client exports these totals as gauges named `_total`, which promtool rejects
    // (prometheus/client_js issue 283); the per-type gauges without the suffix remain.
    for (const name of [
      'active_handles_total',
      'active_requests_total',
      'active_resources_total',
    ]) {
      this.registry.removeSingleMetric(`labelwise_nodejs_${name}`);
    }
    const registers = [this.registry];
    const memory = (): Promise<TensorMemory> => this.tensorMemory();
    new Gauge({
      name: 'labelwise_tensors',
      help: 'Live TensorFlow.js tensors of the served models (a leak shows as growth).',
      registers,
      async collect() {
        this.set((await memory()).numTensors);
      },
    });
    new Gauge({
      name: 'labelwise_tensor_memory_bytes',
      help: 'Bytes held by live TensorFlow.js tensors of the served models.',
      registers,
      async collect() {
        this.set((await memory()).numBytes);
      },
    });
  }

  /** Where the tensor gauges read from: the inference worker's engine once it runs. */
  observeTensorMemory(source: () => Promise<TensorMemory>): void {
    this.tensorMemory = source;
  }

  /** Marks `version` as the one served (and no other). */
  setActiveModel(version: string): void {
    this.activeModel.reset();
    this.activeModel.set({ version }, 1);
  }

  /** Marks `backend` as the TensorFlow.js backend in use. */
  setBackend(backend: string): void {
    this.backend.reset();
    this.backend.set({ backend }, 1);
  }
}
