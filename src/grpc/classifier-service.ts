/**
 * The public `labelwise.v1.Classifier` service: Predict and GetModel.
 */
import type * as grpc from '@grpc/grpc-js';
import { PreconditionError } from '../errors/domain-errors.js';
import { createLogger } from '../logging/logger.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import type { ModelRegistry } from '../serving/model-registry.js';
import type { Predictor } from '../serving/predictor.js';
import type { ModelStore } from '../store/model-store.js';
import type { ModelMessage, PredictResponseMessage } from './api-messages.js';
import { toModelMessage } from './model-message.js';
import { unary, type HandlerKit } from './rpc-handlers.js';

interface PredictRequest {
  images: { id: string; data: Buffer }[];
  threshold?: number;
  modelVersion: string;
}

/** What the Classifier handlers need. */
export interface ClassifierDependencies {
  predictor: Predictor;
  registry: ModelRegistry;
  store: ModelStore;
  metrics: ServiceMetrics;
}

/** The Classifier service's handlers, keyed by method name. */
export function createClassifierHandlers(
  deps: ClassifierDependencies,
): grpc.UntypedServiceImplementation {
  const kit: HandlerKit = { log: createLogger('classifier'), metrics: deps.metrics };
  return {
    Predict: unary<PredictRequest, PredictResponseMessage>(kit, 'Predict', (request, context) =>
      deps.predictor.predict({
        images: request.images,
        // proto3 `optional` fields arrive as undefined when unset, with `defaults: true` as well.
        threshold: request.threshold ?? undefined,
        modelVersion: request.modelVersion,
        deadlineMs: context.deadlineMs,
      }),
    ),
    GetModel: unary<{ version: string }, ModelMessage>(kit, 'GetModel', async (request) => {
      const activeVersion = deps.registry.activeVersion;
      const version = request.version === '' ? activeVersion : request.version;
      if (version === undefined) {
        throw new PreconditionError('no model is active yet; train or activate one first');
      }
      const metadata = await deps.store.readMetadata(version);
      return toModelMessage(version, metadata, version === activeVersion);
    }),
  };
}
