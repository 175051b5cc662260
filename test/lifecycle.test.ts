import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import test from 'ava';
import { labelwiseV1 } from '../src/grpc/proto-definition.js';
import { ModelStore } from '../src/store/model-store.js';
import { selectBackend } from '../src/backend/select-backend.js';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { startServerProcess } from './helpers/server-process.js';
import { makeDirectories, promisify, startTestServer } from './helpers/test-server.js';

test('SIGTERM lets in-flight calls finish, refuses new ones and exits 0', async (t) => {
  const { homeDir, dataDir } = await makeDirectories(t);
  await selectBackend('wasm');
  const store = new ModelStore(homeDir);
  await store.init();
  await store.setActiveVersion(await saveColourModel(store));
  const server = await startServerProcess(t, homeDir, dataDir);
  const client = new labelwiseV1.Classifier(
    `127.0.0.1:${server.port}`,
    grpc.credentials.createInsecure(),
  );
  t.teardown(() => client.close());
  const classifier = promisify(client);
  const data = await solidImage([0, 255, 0]);
  await classifier.Predict({ images: [{ id: 'warm', data }] });

  const inFlight = Array.from({ length: 20 }, (_, i) =>
    classifier.Predict({ images: Array.from({ length: 8 }, () => ({ id: String(i), data })) }),
  );
  // Let the calls reach the server before the signal.
  await new Promise((resolve) => setTimeout(resolve, 20));
  server.child.kill('SIGTERM');
  const responses = await Promise.all(inFlight);

  t.true(responses.every((r) => r.predictions[0].labels[0] === 'green'));
  t.is(await server.exited, 0);
  t.regex(server.log(), /"event":"shutting down","signal":"SIGTERM"/);
  await t.throwsAsync(
    classifier.Predict({ images: [{ id: 'late', data }] }, { deadline: Date.now() + 2000 }),
  );
});

test('server reflection lists the labelwise services', async (t) => {
  const { address } = await startTestServer(t);
  const require = createRequire(import.meta.url);
  const reflectionProto = path.join(
    path.dirname(require.resolve('@grpc/reflection')),
    '../proto/grpc/reflection/v1/reflection.proto',
  );
  const definition = protoLoader.loadSync(reflectionProto, { keepCase: true });
  const { grpc: reflection } = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  const client = new reflection.reflection.v1.ServerReflection(
    address,
    grpc.credentials.createInsecure(),
  );
  t.teardown(() => client.close());
  const call = (
    client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<object, any> }
  ).ServerReflectionInfo();
  const reply = await new Promise<any>((resolve, reject) => {
    call.on('data', resolve);
    call.on('error', reject);
    call.write({ list_services: '' });
  });
  call.end();
  const names = reply.list_services_response.service.map((s: { name: string }) => s.name);
  t.true(names.includes('labelwise.v1.Classifier'));
  t.true(names.includes('labelwise.v1.Trainer'));
});
