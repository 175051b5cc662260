/**
 * Exit codes of the `labelwise` command.
 */

/** The command did what was asked. */
export const EXIT_OK = 0;
/** A call failed, a job failed or was cancelled, or the server is not serving. */
export const EXIT_FAILURE = 1;
/** The command line was wrong; nothing was sent. */
export const EXIT_USAGE = 2;
