/**
 * The management `labelwise.v1.Trainer` service: background jobs and the choice of the served
 * model version.
 */
import type * as grpc from '@grpc/grpc-js';
import { InvalidInputError } from '../errors/domain-errors.js';
import { createLogger } from '../logging/logger.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import type { ModelRegistry } from '../serving/model-registry.js';
import type { ModelStore } from '../store/model-store.js';
import { toModelMessage, type ModelMessage } from './model-message.js';
import { unary, type HandlerKit } from './rpc-handlers.js';

/** What the Trainer handlers need. */
export interface TrainerDependencies {
  registry: ModelRegistry;
  store: ModelStore;
  metrics: ServiceMetrics;
}

/** The Trainer service's handlers, keyed by method name. */
export function createTrainerHandlers(
  deps: TrainerDependencies,
): grpc.UntypedServiceImplementation {
  const kit: HandlerKit = { log: createLogger('trainer'), metrics: deps.metrics };
  const describe = async (version: string): Promise<ModelMessage> =>
    toModelMessage(
      version,
      await deps.store.readMetadata(version),
      version === deps.registry.activeVersion,
    );
  return {
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
