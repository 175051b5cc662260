/**
 * The one place where domain errors become gRPC statuses. Each domain error class maps to exactly
 * one status code; anything else is an internal error whose details stay in the server log.
 */
import * as grpc from '@grpc/grpc-js';
import {
  CancelledError,
  DeadlineExceededError,
  DomainError,
  InvalidInputError,
  NotFoundError,
  PermissionError,
  PreconditionError,
  ResourceExhaustedError,
  UnauthenticatedError,
} from '../errors/domain-errors.js';
import type { Logger } from '../logging/logger.js';

const STATUS_BY_ERROR = new Map<Function, grpc.status>([
  [InvalidInputError, grpc.status.INVALID_ARGUMENT],
  [NotFoundError, grpc.status.NOT_FOUND],
  [PreconditionError, grpc.status.FAILED_PRECONDITION],
  [PermissionError, grpc.status.PERMISSION_DENIED],
  [UnauthenticatedError, grpc.status.UNAUTHENTICATED],
  [ResourceExhaustedError, grpc.status.RESOURCE_EXHAUSTED],
  [CancelledError, grpc.status.CANCELLED],
  [DeadlineExceededError, grpc.status.DEADLINE_EXCEEDED],
]);

/** The status and caller-safe message for a caught value. Unknown errors are logged here. */
export function toStatus(caught: unknown, log: Logger, method: string): grpc.StatusObject {
  if (caught instanceof DomainError) {
    const code = STATUS_BY_ERROR.get(caught.constructor) ?? grpc.status.INTERNAL;
    return { code, details: caught.message, metadata: new grpc.Metadata() };
  }
  log.error('unexpected error', { method, error: caught, stack: (caught as Error)?.stack });
  return {
    code: grpc.status.INTERNAL,
    details: 'internal error; see the server log',
    metadata: new grpc.Metadata(),
  };
}

/** The name Prometheus labels use for a status code, e.g. `INVALID_ARGUMENT`. */
export function statusName(code: grpc.status): string {
  return grpc.status[code] ?? String(code);
}
