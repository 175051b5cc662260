/**
 * The gRPC server's transport security: plaintext, TLS, or mutual TLS, from PEM files named in the
 * configuration.
 */
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { InvalidInputError } from '../errors/domain-errors.js';

/** PEM file paths; empty strings mean "not set". */
export interface TlsFiles {
  /** The server's certificate chain. */
  tlsCertPath: string;
  /** The server's private key. */
  tlsKeyPath: string;
  /** CA bundle that client certificates must chain to; set means clients must present one. */
  tlsCaPath: string;
}

/** How the server is reached, for the start-up log line. */
export type TransportMode = 'plaintext' | 'tls' | 'mutual-tls';

/** The transport mode `files` select. */
export function transportModeOf(files: TlsFiles): TransportMode {
  if (files.tlsCertPath === '') return 'plaintext';
  return files.tlsCaPath === '' ? 'tls' : 'mutual-tls';
}

/**
 * Server credentials for `files`: insecure without a certificate, TLS with a certificate and key,
 * and mutual TLS (client certificates required and checked against the CA) when a CA is set too.
 *
 * @throws InvalidInputError when the combination is incomplete (a key without a certificate, a CA
 * without a certificate) or a file cannot be read.
 */
export async function loadServerCredentials(files: TlsFiles): Promise<grpc.ServerCredentials> {
  const { tlsCertPath, tlsKeyPath, tlsCaPath } = files;
  if (tlsCertPath === '' && tlsKeyPath === '' && tlsCaPath === '') {
    return grpc.ServerCredentials.createInsecure();
  }
  if (tlsCertPath === '' || tlsKeyPath === '') {
    throw new InvalidInputError(
      'LABELWISE_TLS_CERT and LABELWISE_TLS_KEY must be set together (LABELWISE_TLS_CA needs both)',
    );
  }
  const [certChain, privateKey, rootCerts] = await Promise.all([
    readPem(tlsCertPath, 'LABELWISE_TLS_CERT'),
    readPem(tlsKeyPath, 'LABELWISE_TLS_KEY'),
    tlsCaPath === '' ? Promise.resolve(null) : readPem(tlsCaPath, 'LABELWISE_TLS_CA'),
  ]);
  return grpc.ServerCredentials.createSsl(
    rootCerts,
    [{ cert_chain: certChain, private_key: privateKey }],
    rootCerts !== null,
  );
}

async function readPem(filePath: string, setting: string): Promise<Buffer> {
  try {
    return await readFile(filePath);
  } catch (caught) {
    const code = (caught as NodeJS.ErrnoException).code ?? 'unknown error';
    // Start-up errors go to the operator, so naming the configured path is fine here.
    throw new InvalidInputError(`${setting} (${filePath}) cannot be read: ${code}`);
  }
}
