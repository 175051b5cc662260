/**
 * The service's error vocabulary. Services throw these; the gRPC boundary maps each class to
 * exactly one status code (see `src/grpc/status-mapping.ts`). Messages are shown to callers, so
 * they name the offending item and never hold stack traces or paths outside the data directory.
 */

/** Base class: a failure whose message is safe to show to the caller. */
export abstract class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request itself is wrong: a corrupt image, a bad manifest row, an out-of-range field. */
export class InvalidInputError extends DomainError {}

/** A named thing (model version, job, file) does not exist. */
export class NotFoundError extends DomainError {}

/** The system is not in a state to do this (no active model, job already finished). */
export class PreconditionError extends DomainError {}

/** The caller may not do this (a path outside the data directory, a non-loopback admin call). */
export class PermissionError extends DomainError {}

/** The caller did not prove who it is (missing or wrong token). */
export class UnauthenticatedError extends DomainError {}

/** A limit was reached (queue full, too many images, image too large). */
export class ResourceExhaustedError extends DomainError {}

/** The operation was cancelled (a cancelled job, a caller that went away). */
export class CancelledError extends DomainError {}

/** The deadline passed before the work could be done. */
export class DeadlineExceededError extends DomainError {}

/** A concrete domain error class. */
export type DomainErrorClass = new (message: string) => DomainError;

/** Every concrete domain error class, by class name (a worker thread sends errors by name). */
export const DOMAIN_ERROR_CLASSES: ReadonlyMap<string, DomainErrorClass> = new Map(
  [
    InvalidInputError,
    NotFoundError,
    PreconditionError,
    PermissionError,
    UnauthenticatedError,
    ResourceExhaustedError,
    CancelledError,
    DeadlineExceededError,
  ].map((errorClass) => [errorClass.name, errorClass]),
);

/** Narrows a caught value to an Error, wrapping anything else. */
export function asError(caught: unknown): Error {
  return caught instanceof Error ? caught : new Error(String(caught));
}
