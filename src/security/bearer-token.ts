/**
 * Bearer tokens in gRPC metadata (`authorization: Bearer <token>`), compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';

/** The token of the call's `authorization: Bearer <token>` entry, or undefined without one. */
export function bearerTokenOf(metadata: grpc.Metadata): string | undefined {
  for (const value of metadata.get('authorization')) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(String(value));
    if (match !== null) return match[1];
  }
  return undefined;
}

/**
 * True when `presented` equals `expected`. Both are hashed first so that the comparison takes the
 * same time whatever the lengths are and wherever the first difference lies; `timingSafeEqual`
 * alone would throw on (and so reveal) a length mismatch.
 */
export function tokensMatch(presented: string, expected: string): boolean {
  const digestOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();
  return timingSafeEqual(digestOf(presented), digestOf(expected));
}
