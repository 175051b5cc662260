import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import test from 'ava';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { startTestServer } from './helpers/test-server.js';

test('activating a new version under load fails no call and moves responses to it', async (t) => {
  let versions: string[] = [];
  const { classifier, trainer } = await startTestServer(t, {
    config: { maxQueueDelayMs: 1 },
    prepare: async (store) => {
      versions = [await saveColourModel(store, 16, 4), await saveColourModel(store, 16, 12)];
      await store.setActiveVersion(versions[0] as string);
    },
  });
  const data = await solidImage([255, 0, 0]);
  const seen: string[] = [];
  let failures = 0;
  let swapped = false;
  const client = async (): Promise<void> => {
    // Keep calling until the swap is done and a few more calls have gone through.
    for (let after = 0; after < 5; after += swapped ? 1 : 0) {
      try {
        const response = await classifier.Predict({ images: [{ id: 'x', data }] });
        seen.push(response.modelVersion);
      } catch {
        failures++;
      }
    }
  };
  const clients = Array.from({ length: 8 }, client);
  while (seen.length < 8) await new Promise((resolve) => setTimeout(resolve, 10));
  const activated = await trainer.ActivateModel({ version: versions[1] });
  swapped = true;
  await Promise.all(clients);

  t.is(failures, 0);
  t.is(activated.version, '2');
  t.true(activated.active);
  t.true(seen.includes('1'));
  t.is(seen.at(-1), '2');
  const firstNew = seen.indexOf('2');
  t.false(seen.slice(firstNew).includes('1'), 'no call went back to the old version');
});

test('ActivateModel rolls back to an earlier version', async (t) => {
  const { classifier, trainer } = await startTestServer(t, {
    prepare: async (store) => {
      await saveColourModel(store);
      await store.setActiveVersion(await saveColourModel(store, 16, 2));
    },
  });
  await trainer.ActivateModel({ version: '1' });
  const response = await classifier.Predict({
    images: [{ id: 'a', data: await solidImage([0, 255, 0]) }],
  });
  t.is(response.modelVersion, '1');
  const models = await trainer.ListModels({});
  t.deepEqual(
    models.models.map((m: { version: string; active: boolean }) => [m.version, m.active]),
    [
      ['2', false],
      ['1', true],
    ],
  );
});

test('a version that fails to load never replaces the working one', async (t) => {
  const { classifier, trainer, store } = await startTestServer(t, {
    prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
  });
  // Metadata that names four labels for a three-output model fails the warm-up check.
  const broken = await saveColourModel(store, 16, 8, { labels: ['a', 'b', 'c', 'd'] });
  const error = await t.throwsAsync(trainer.ActivateModel({ version: broken }));
  t.is((error as grpc.ServiceError).code, grpc.status.FAILED_PRECONDITION);
  t.regex((error as grpc.ServiceError).details, /version 2 failed its warm-up/);
  t.is(await store.readActiveVersion(), '1');
  const response = await classifier.Predict({
    images: [{ id: 'a', data: await solidImage([0, 0, 255]) }],
  });
  t.is(response.modelVersion, '1');
});

test(
  'activating an unknown version gets NOT_FOUND ' + 'and an empty one INVALID_ARGUMENT',
  async (t) => {
    const { trainer } = await startTestServer(t, {
      prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
    });
    const missing = await t.throwsAsync(trainer.ActivateModel({ version: '9' }));
    t.is((missing as grpc.ServiceError).code, grpc.status.NOT_FOUND);
    const empty = await t.throwsAsync(trainer.ActivateModel({ version: '' }));
    t.is((empty as grpc.ServiceError).code, grpc.status.INVALID_ARGUMENT);
  },
);

test('a replica follows a pointer another replica wrote to the shared store', async (t) => {
  const first = await startTestServer(t, {
    prepare: async (store) => {
      await store.setActiveVersion(await saveColourModel(store));
      await saveColourModel(store, 16, 3);
    },
  });
  const second = await startTestServer(t, {
    directories: { homeDir: first.homeDir, dataDir: first.dataDir },
  });
  await first.trainer.ActivateModel({ version: '2' });
  for (let i = 0; i < 50 && second.server.registry.activeVersion !== '2'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.is(second.server.registry.activeVersion, '2');
});

test('swapping back and forth returns the tensor count to its level', async (t) => {
  const { trainer, classifier, server } = await startTestServer(t, {
    prepare: async (store) => {
      await store.setActiveVersion(await saveColourModel(store));
      await saveColourModel(store, 16, 3);
    },
  });
  const data = await solidImage([9, 9, 9]);
  await classifier.Predict({ images: [{ id: 'a', data }] });
  await trainer.ActivateModel({ version: '2' });
  await trainer.ActivateModel({ version: '1' });
  const before = (await server.inference.memory()).numTensors;
  for (let i = 0; i < 10; i++) {
    await trainer.ActivateModel({ version: i % 2 === 0 ? '2' : '1' });
    await classifier.Predict({ images: [{ id: 'a', data }] });
  }
  t.is((await server.inference.memory()).numTensors, before);
});

test(
  'health reports the classifier NOT_SERVING until a model is active, ' + 'then SERVING',
  async (t) => {
    const { address, store, trainer } = await startTestServer(t);
    const definition = protoLoader.loadSync(healthProtoPath, { enums: String });
    const { grpc: grpcPackage } = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    };
    const client = new grpcPackage.health.v1.Health(address, grpc.credentials.createInsecure());
    t.teardown(() => client.close());
    const status = (service: string): Promise<string> =>
      new Promise((resolve, reject) =>
        (client as unknown as HealthClient).check({ service }, (error, response) =>
          error ? reject(error) : resolve(response.status),
        ),
      );

    t.is(await status('labelwise.v1.Classifier'), 'NOT_SERVING');
    t.is(await status(''), 'SERVING');
    await saveColourModel(store);
    await trainer.ActivateModel({ version: '1' });
    t.is(await status('labelwise.v1.Classifier'), 'SERVING');
  },
);

interface HealthClient {
  check(
    request: { service: string },
    callback: (error: grpc.ServiceError | null, response: { status: string }) => void,
  ): void;
}
