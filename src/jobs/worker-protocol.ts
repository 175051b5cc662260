/**
 * The messages a job worker thread and the main thread exchange, and how errors cross between
 * them. Only plain data crosses a thread boundary, so a `DomainError` travels as its class name
 * and message and is rebuilt as the same class on the other side.
 */
import { DOMAIN_ERROR_CLASSES, DomainError, asError } from '../errors/domain-errors.js';
import type { JobProgressUpdate } from './job.js';

/** What the worker gets as `workerData`. */
export interface WorkerJobData {
  input: unknown;
}

/** Main thread to worker: stop as soon as possible. */
export interface WorkerCancelMessage {
  type: 'cancel';
}

/** Worker to main thread: forwarded to the job's `report`. */
export interface WorkerProgressMessage {
  type: 'progress';
  update: JobProgressUpdate;
}

/** Worker to main thread: the job body resolved with `value`. */
export interface WorkerResultMessage {
  type: 'result';
  value: unknown;
}

/** Worker to main thread: the job body threw. */
export interface WorkerErrorMessage {
  type: 'error';
  /** The error's class name, e.g. `NotFoundError`. */
  name: string;
  message: string;
  /** True when the error was a `DomainError`; only then is it rebuilt as a domain class. */
  domain: boolean;
  /** For the server log only. */
  stack?: string;
}

/** Anything a worker sends to the main thread. */
export type WorkerToMainMessage = WorkerProgressMessage | WorkerResultMessage | WorkerErrorMessage;

/** Turns anything a job body threw into a message for the main thread. */
export function toErrorMessage(caught: unknown): WorkerErrorMessage {
  const error = asError(caught);
  return {
    type: 'error',
    name: error.name,
    message: error.message,
    domain: error instanceof DomainError,
    stack: error.stack,
  };
}

/**
 * Rebuilds the error a worker reported: the same domain class when it was a known `DomainError`
 * (the message is then shown to callers), otherwise a plain `Error` that only reaches the log.
 */
export function fromErrorMessage(message: WorkerErrorMessage): Error {
  const DomainClass = message.domain ? DOMAIN_ERROR_CLASSES.get(message.name) : undefined;
  const error =
    DomainClass !== undefined
      ? new DomainClass(message.message)
      : new Error(`${message.name} in a worker thread: ${message.message}`);
  if (message.stack !== undefined) error.stack = message.stack;
  return error;
}

/** True if `value` is a message a worker may send; anything else is ignored. */
export function isWorkerToMainMessage(value: unknown): value is WorkerToMainMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'progress' || type === 'result' || type === 'error';
}
