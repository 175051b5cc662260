import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify as promisifyCallback } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { InvalidInputError } from '../src/errors/domain-errors.js';
import { labelwiseV1 } from '../src/grpc/proto-definition.js';
import { loadServerCredentials } from '../src/security/server-credentials.js';
import { saveColourModel } from './helpers/colour-model.js';
import { promisify, startTestServer, type TestServer } from './helpers/test-server.js';

const run = promisifyCallback(execFile);

/** PEM files of a throw-away public key infrastructure. */
interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second CA, which the server does not trust, and a client certificate it signed. */
  rogueCaCert: string;
  rogueClientCert: string;
  rogueClientKey: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function makeCertificateAuthority(dir: string, name: string): Promise<void> {
  await openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
  );
}

async function makeSignedCertificate(
  dir: string,
  name: string,
  caName: string,
  extensions: string,
): Promise<void> {
  await openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  await writeFile(path.join(dir, `${name}.ext`), extensions);
  await openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${caName}.crt`,
    '-CAkey',
    `${caName}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  );
}

let pki: Promise<Pki> | undefined;

/** Generates the certificates once per test file; the folder is removed when the process exits. */
function throwAwayPki(): Promise<Pki> {
  pki ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'labelwise-pki-'));
    process.once('exit', () => void rm(dir, { recursive: true, force: true }));
    await makeCertificateAuthority(dir, 'ca');
    await makeCertificateAuthority(dir, 'rogue-ca');
    await makeSignedCertificate(
      dir,
      'server',
      'ca',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
    await makeSignedCertificate(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth\n');
    await makeSignedCertificate(dir, 'rogue-client', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
    const file = (name: string): string => path.join(dir, name);
    return {
      dir,
      caCert: file('ca.crt'),
      serverCert: file('server.crt'),
      serverKey: file('server.key'),
      clientCert: file('client.crt'),
      clientKey: file('client.key'),
      rogueCaCert: file('rogue-ca.crt'),
      rogueClientCert: file('rogue-client.crt'),
      rogueClientKey: file('rogue-client.key'),
    };
  })();
  return pki;
}

async function tlsServer(
  t: Parameters<typeof startTestServer>[0],
  mutual: boolean,
  config = {},
): Promise<TestServer> {
  const files = await throwAwayPki();
  return startTestServer(t, {
    config: {
      tlsCertPath: files.serverCert,
      tlsKeyPath: files.serverKey,
      tlsCaPath: mutual ? files.caCert : '',
      ...config,
    },
    prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
  });
}

/**
 * Clients dial 127.0.0.1 but check the certificate for `localhost`: Node warns when the TLS server
 * name is an IP address (RFC 6066 forbids it).
 */
const CHANNEL_OPTIONS = { 'grpc.ssl_target_name_override': 'localhost' };

/** A Classifier client over `credentials`; closed when the test ends. */
function classifierOver(
  t: Parameters<typeof startTestServer>[0],
  server: TestServer,
  credentials: grpc.ChannelCredentials,
) {
  const client = new labelwiseV1.Classifier(
    `127.0.0.1:${server.server.grpcPort}`,
    credentials,
    CHANNEL_OPTIONS,
  );
  t.teardown(() => client.close());
  return promisify(client);
}

async function clientCredentials(
  trusted: string,
  certificate?: { cert: string; key: string },
): Promise<grpc.ChannelCredentials> {
  return grpc.credentials.createSsl(
    await readFile(trusted),
    certificate === undefined ? null : await readFile(certificate.key),
    certificate === undefined ? null : await readFile(certificate.cert),
  );
}

/** A short deadline, so that a refused handshake fails the call instead of retrying for long. */
const SOON = (): grpc.CallOptions => ({ deadline: Date.now() + 3000 });

test(
  'with a certificate and key, ' + 'the server speaks TLS to clients that trust its CA',
  async (t) => {
    const files = await throwAwayPki();
    const server = await tlsServer(t, false);
    const trusting = classifierOver(t, server, await clientCredentials(files.caCert));
    t.is((await trusting.GetModel({})).version, '1');

    const plaintext = classifierOver(t, server, grpc.credentials.createInsecure());
    const plainError = await t.throwsAsync(plaintext.GetModel({}, SOON()));
    t.not((plainError as grpc.ServiceError).code, grpc.status.OK);

    const suspicious = classifierOver(t, server, await clientCredentials(files.rogueCaCert));
    const untrusted = await t.throwsAsync(suspicious.GetModel({}, SOON()));
    t.is((untrusted as grpc.ServiceError).code, grpc.status.UNAVAILABLE);
  },
);

test('with a CA, the server requires a client certificate signed by it', async (t) => {
  const files = await throwAwayPki();
  const server = await tlsServer(t, true);
  const withCertificate = classifierOver(
    t,
    server,
    await clientCredentials(files.caCert, { cert: files.clientCert, key: files.clientKey }),
  );
  t.is((await withCertificate.GetModel({})).version, '1');

  const anonymous = classifierOver(t, server, await clientCredentials(files.caCert));
  const noCertificate = await t.throwsAsync(anonymous.GetModel({}, SOON()));
  t.is((noCertificate as grpc.ServiceError).code, grpc.status.UNAVAILABLE);

  const rogue = classifierOver(
    t,
    server,
    await clientCredentials(files.caCert, {
      cert: files.rogueClientCert,
      key: files.rogueClientKey,
    }),
  );
  const wrongCa = await t.throwsAsync(rogue.GetModel({}, SOON()));
  t.is((wrongCa as grpc.ServiceError).code, grpc.status.UNAVAILABLE);
});

test('mutual TLS and the admin token combine on the Trainer', async (t) => {
  const files = await throwAwayPki();
  const server = await tlsServer(t, true, { adminToken: 'tls-admin' });
  const credentials = await clientCredentials(files.caCert, {
    cert: files.clientCert,
    key: files.clientKey,
  });
  const client = new labelwiseV1.Trainer(
    `127.0.0.1:${server.server.grpcPort}`,
    credentials,
    CHANNEL_OPTIONS,
  );
  t.teardown(() => client.close());
  const noToken = await t.throwsAsync(promisify(client).ListModels({}));
  t.is((noToken as grpc.ServiceError).code, grpc.status.UNAUTHENTICATED);
  const metadata = new grpc.Metadata();
  metadata.set('authorization', 'Bearer tls-admin');
  const models = await promisify(client, metadata).ListModels({});
  t.deepEqual(
    models.models.map((m: { version: string }) => m.version),
    ['1'],
  );
});

test('an incomplete TLS configuration is refused at start-up, naming the setting', async (t) => {
  const files = await throwAwayPki();
  await t.throwsAsync(
    loadServerCredentials({ tlsCertPath: '', tlsKeyPath: files.serverKey, tlsCaPath: '' }),
    { instanceOf: InvalidInputError, message: /LABELWISE_TLS_CERT and LABELWISE_TLS_KEY/ },
  );
  await t.throwsAsync(
    loadServerCredentials({ tlsCertPath: '', tlsKeyPath: '', tlsCaPath: files.caCert }),
    { instanceOf: InvalidInputError },
  );
  await t.throwsAsync(
    loadServerCredentials({
      tlsCertPath: path.join(files.dir, 'missing.crt'),
      tlsKeyPath: files.serverKey,
      tlsCaPath: '',
    }),
    { instanceOf: InvalidInputError, message: /LABELWISE_TLS_CERT .* cannot be read: ENOENT/ },
  );
});
