/**
 * Turns whatever a command threw into one line on stderr and an exit code. gRPC failures show
 * the status name and the server's details; nothing shows a stack trace.
 */
import * as grpc from '@grpc/grpc-js';
import { EXIT_FAILURE, EXIT_USAGE } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/** A grpc-js ServiceError, recognised by shape (it is not a class of its own). */
export function isServiceError(caught: unknown): caught is grpc.ServiceError {
  return (
    caught instanceof Error &&
    typeof (caught as Partial<grpc.ServiceError>).code === 'number' &&
    typeof (caught as Partial<grpc.ServiceError>).details === 'string'
  );
}

/** The message for a caught value, without a stack. */
export function describeFailure(caught: unknown): string {
  if (isServiceError(caught)) {
    const name = grpc.status[caught.code] ?? `status ${caught.code}`;
    return `${name}: ${caught.details}`;
  }
  if (caught instanceof Error) return caught.message;
  return String(caught);
}

/** Writes the failure to `stderr` and returns the exit code it calls for. */
export function reportFailure(
  caught: unknown,
  command: string,
  stderr: NodeJS.WritableStream = process.stderr,
): number {
  if (caught instanceof UsageError) {
    stderr.write(`labelwise ${command}: ${caught.message}\nsee: labelwise ${command} --help\n`);
    return EXIT_USAGE;
  }
  stderr.write(`labelwise ${command}: ${describeFailure(caught)}\n`);
  return EXIT_FAILURE;
}
