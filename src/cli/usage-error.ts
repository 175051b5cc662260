/**
 * A command line the CLI cannot act on (unknown option, bad number, missing argument); the
 * command prints the message and a pointer to its `--help`, and exits with code 2.
 */

/** A mistake in the command line rather than a failure of the call. */
export class UsageError extends Error {
  override name = 'UsageError';
}
