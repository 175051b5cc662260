/**
 * Who may call a service: a bearer token when one is configured, otherwise either anyone or only
 * callers on this host. The check throws domain errors; `src/grpc/status-mapping.ts` turns them
 * into UNAUTHENTICATED and PERMISSION_DENIED.
 */
import type * as grpc from '@grpc/grpc-js';
import { PermissionError, UnauthenticatedError } from '../errors/domain-errors.js';
import { bearerTokenOf, tokensMatch } from './bearer-token.js';
import { isLoopbackPeer } from './loopback-peer.js';

/** The rule one service applies to every call. */
export type AccessPolicy =
  | { kind: 'open' }
  /** Only callers on this host; `hint` tells others how to get access. */
  | { kind: 'loopback-only'; hint: string }
  | { kind: 'token'; token: string; tokenSetting: string };

/** What the check looks at in a call. */
export interface CallerIdentity {
  metadata: grpc.Metadata;
  /** The peer address as grpc-js reports it, e.g. `127.0.0.1:53211`. */
  peer: string;
}

/**
 * The Trainer's policy: its token when `adminToken` is set, otherwise loopback callers only, since
 * an unauthenticated network caller could overwrite the served model.
 */
export function trainerPolicy(adminToken: string): AccessPolicy {
  if (adminToken !== '') {
    return { kind: 'token', token: adminToken, tokenSetting: 'LABELWISE_ADMIN_TOKEN' };
  }
  return {
    kind: 'loopback-only',
    hint:
      'the Trainer service accepts only callers on the server host while no admin token is ' +
      'configured; set LABELWISE_ADMIN_TOKEN on the server ' +
      'and send "authorization: Bearer <token>"',
  };
}

/** The Classifier's policy: open unless `classifierToken` is set. */
export function classifierPolicy(classifierToken: string): AccessPolicy {
  if (classifierToken === '') return { kind: 'open' };
  return { kind: 'token', token: classifierToken, tokenSetting: 'LABELWISE_CLASSIFIER_TOKEN' };
}

/**
 * Throws when `caller` may not use a service under `policy`.
 *
 * @throws UnauthenticatedError when a token is required and missing or wrong.
 * @throws PermissionError when only loopback callers are accepted and this one is remote.
 */
export function checkAccess(policy: AccessPolicy, caller: CallerIdentity): void {
  if (policy.kind === 'open') return;
  if (policy.kind === 'loopback-only') {
    if (!isLoopbackPeer(caller.peer)) throw new PermissionError(policy.hint);
    return;
  }
  const presented = bearerTokenOf(caller.metadata);
  if (presented === undefined) {
    throw new UnauthenticatedError('this call needs "authorization: Bearer <token>" metadata');
  }
  // The message is the same for every wrong token so that it reveals nothing about the right one.
  if (!tokensMatch(presented, policy.token)) {
    throw new UnauthenticatedError('the bearer token is not valid for this service');
  }
}
