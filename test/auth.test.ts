import os from 'node:os';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { PermissionError, UnauthenticatedError } from '../src/errors/domain-errors.js';
import { labelwiseV1 } from '../src/grpc/proto-definition.js';
import { checkAccess, classifierPolicy, trainerPolicy } from '../src/security/access-policy.js';
import { bearerTokenOf, tokensMatch } from '../src/security/bearer-token.js';
import { isLoopbackPeer } from '../src/security/loopback-peer.js';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { promisify, startTestServer } from './helpers/test-server.js';

const ADMIN_TOKEN = 'admin-secret-0123456789';

function bearer(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

function codeOf(error: unknown): grpc.status | undefined {
  return (error as grpc.ServiceError).code;
}

const peers: [string, boolean][] = [
  ['127.0.0.1:50051', true],
  ['[::1]:50051', true],
  ['[::ffff:127.0.0.1]:40000', true],
  ['ipv4:127.0.0.1:40000', true],
  ['::1', true],
  ['unix:/run/labelwise.sock', true],
  ['10.0.0.7:50051', false],
  ['192.168.1.20:1234', false],
  ['[2001:db8::1]:50051', false],
  ['[::ffff:10.0.0.7]:50051', false],
  ['127.0.0.2:50051', false],
  ['localhost:50051', false],
  ['', false],
  ['garbage', false],
];

for (const [peer, loopback] of peers) {
  test(`peer ${JSON.stringify(peer)} is ${loopback ? '' : 'not '}a loopback caller`, (t) => {
    t.is(isLoopbackPeer(peer), loopback);
  });
}

test(
  'a remote caller of a token-less Trainer is refused ' + 'with a reason that says to set a token',
  (t) => {
    const error = t.throws(() =>
      checkAccess(trainerPolicy(''), { metadata: new grpc.Metadata(), peer: '10.1.2.3:5555' }),
    );
    t.true(error instanceof PermissionError);
    t.regex(error?.message ?? '', /LABELWISE_ADMIN_TOKEN/);
    t.notThrows(() =>
      checkAccess(trainerPolicy(''), { metadata: new grpc.Metadata(), peer: '[::1]:5555' }),
    );
  },
);

test(
  'with a token configured, ' + 'a remote caller with the token is accepted and one without is not',
  (t) => {
    const policy = trainerPolicy(ADMIN_TOKEN);
    t.notThrows(() => checkAccess(policy, { metadata: bearer(ADMIN_TOKEN), peer: '10.1.2.3:5' }));
    const missing = t.throws(() =>
      checkAccess(policy, { metadata: new grpc.Metadata(), peer: '127.0.0.1:5' }),
    );
    t.true(missing instanceof UnauthenticatedError, 'loopback does not replace the token');
  },
);

test('the Classifier is open without a token and closed with one', (t) => {
  const caller = { metadata: new grpc.Metadata(), peer: '10.1.2.3:5' };
  t.notThrows(() => checkAccess(classifierPolicy(''), caller));
  t.throws(() => checkAccess(classifierPolicy('c'), caller), { instanceOf: UnauthenticatedError });
});

test('tokens match only when equal, whatever their lengths', (t) => {
  t.true(tokensMatch('abc', 'abc'));
  t.false(tokensMatch('abc', 'abd'));
  t.false(tokensMatch('abc', 'abcd'));
  t.false(tokensMatch('', 'abc'));
});

test('the bearer token is read from the authorization entry in any case of "Bearer"', (t) => {
  t.is(bearerTokenOf(bearer('xyz')), 'xyz');
  const lower = new grpc.Metadata();
  lower.set('authorization', 'bearer  xyz ');
  t.is(bearerTokenOf(lower), 'xyz');
  const basic = new grpc.Metadata();
  basic.set('authorization', 'Basic eHl6');
  t.is(bearerTokenOf(basic), undefined);
  t.is(bearerTokenOf(new grpc.Metadata()), undefined);
});

test('every Trainer method needs the admin token when one is configured', async (t) => {
  const server = await startTestServer(t, { config: { adminToken: ADMIN_TOKEN } });
  const calls: [string, object][] = [
    ['Train', { manifest: 'm.xlsx', imageDir: 'images' }],
    ['Cluster', { manifest: 'm.xlsx', imageDir: 'images', output: 'c.xlsx' }],
    ['Augment', { manifest: 'm.xlsx', imageDir: 'images' }],
    ['Evaluate', { manifest: 'm.xlsx', imageDir: 'images' }],
    ['GetJob', { id: 'job-x' }],
    ['CancelJob', { id: 'job-x' }],
    ['ListJobs', {}],
    ['ListModels', {}],
    ['ActivateModel', { version: '1' }],
  ];
  const wrong = promisify(server.rawTrainer, bearer('not-the-token'));
  for (const [method, request] of calls) {
    const anonymous = await t.throwsAsync(
      server.trainer[method as 'ListJobs'](request),
      undefined,
      method,
    );
    t.is(codeOf(anonymous), grpc.status.UNAUTHENTICATED, `${method} without a token`);
    t.regex((anonymous as grpc.ServiceError).details, /authorization: Bearer/);
    const mistaken = await t.throwsAsync(wrong[method as 'ListJobs'](request));
    t.is(codeOf(mistaken), grpc.status.UNAUTHENTICATED, `${method} with a wrong token`);
    t.notRegex((mistaken as grpc.ServiceError).details, new RegExp(ADMIN_TOKEN));
  }

  const stream = (
    server.rawTrainer as unknown as { WatchJob(r: object): grpc.ClientReadableStream<unknown> }
  ).WatchJob({ id: 'job-x' });
  const streamError = await new Promise<grpc.ServiceError>((resolve) => {
    stream.on('data', () => undefined);
    stream.on('error', resolve);
  });
  t.is(streamError.code, grpc.status.UNAUTHENTICATED, 'WatchJob without a token');

  const admin = promisify(server.rawTrainer, bearer(ADMIN_TOKEN));
  t.deepEqual((await admin.ListJobs({})).jobs, []);
  const missingJob = await t.throwsAsync(admin.GetJob({ id: 'job-x' }));
  t.is(codeOf(missingJob), grpc.status.NOT_FOUND, 'with the token the handler answers');
});

test('refused calls are counted by status code in the metrics', async (t) => {
  const server = await startTestServer(t, { config: { adminToken: ADMIN_TOKEN } });
  await t.throwsAsync(server.trainer.ListJobs({}));
  const metrics = await server.server.metrics.registry.metrics();
  t.regex(metrics, /labelwise_rpc_requests_total\{method="ListJobs",code="UNAUTHENTICATED"\} 1/);
});

test('the Classifier stays open when only the admin token is set', async (t) => {
  const { classifier } = await startTestServer(t, {
    config: { adminToken: ADMIN_TOKEN },
    prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
  });
  const response = await classifier.Predict({
    images: [{ id: 'r', data: await solidImage([255, 0, 0]) }],
  });
  t.deepEqual(response.predictions[0].labels, ['red']);
});

test(
  'with a classifier token, ' + 'Predict and GetModel need it and the right one answers',
  async (t) => {
    const server = await startTestServer(t, {
      config: { classifierToken: 'reader-token' },
      prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
    });
    const data = await solidImage([255, 0, 0]);
    const anonymous = await t.throwsAsync(
      server.classifier.Predict({ images: [{ id: 'r', data }] }),
    );
    t.is(codeOf(anonymous), grpc.status.UNAUTHENTICATED);
    const anonymousModel = await t.throwsAsync(server.classifier.GetModel({}));
    t.is(codeOf(anonymousModel), grpc.status.UNAUTHENTICATED);
    const reader = promisify(server.rawClassifier, bearer('reader-token'));
    const response = await reader.Predict({ images: [{ id: 'r', data }] });
    t.deepEqual(response.predictions[0].labels, ['red']);
    // The admin token is a different secret: it does not open the Classifier.
    const admin = promisify(server.rawClassifier, bearer(ADMIN_TOKEN));
    t.is(codeOf(await t.throwsAsync(admin.GetModel({}))), grpc.status.UNAUTHENTICATED);
  },
);

test('without an admin token, the Trainer answers loopback callers', async (t) => {
  const { trainer } = await startTestServer(t);
  t.deepEqual((await trainer.ListModels({})).models, []);
});

/** An address of this host that is not loopback, to reach the server as a remote caller would. */
const externalAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.internal)?.address;

// Only runs where the host has a non-loopback interface; the pure check above covers the rule.
(externalAddress === undefined ? test.skip : test)(
  'without an admin token, a Trainer call over a non-loopback address is PERMISSION_DENIED',
  async (t) => {
    const server = await startTestServer(t, {
      config: { host: '0.0.0.0' },
      prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
    });
    const address = `${externalAddress}:${server.server.grpcPort}`;
    const credentials = grpc.credentials.createInsecure();
    const trainer = new labelwiseV1.Trainer(address, credentials);
    const classifier = new labelwiseV1.Classifier(address, credentials);
    t.teardown(() => {
      trainer.close();
      classifier.close();
    });
    const error = await t.throwsAsync(promisify(trainer).ListModels({}));
    t.is(codeOf(error), grpc.status.PERMISSION_DENIED);
    t.regex((error as grpc.ServiceError).details, /set LABELWISE_ADMIN_TOKEN/);
    const model = await promisify(classifier).GetModel({});
    t.is(model.version, '1', 'the Classifier still answers remote callers');
  },
);
