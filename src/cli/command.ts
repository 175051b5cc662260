/**
 * The shape every `labelwise` subcommand has, so that `main.ts` only dispatches.
 */

/** One subcommand of `labelwise`. */
export interface Command {
  name: string;
  /** Runs with the arguments after the command name and resolves with the exit code. */
  run(argv: readonly string[]): Promise<number>;
}
