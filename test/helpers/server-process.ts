/**
 * Runs `labelwise serve` as a child process, for tests that kill or signal the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

const ENTRY = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** A server child process and its bound gRPC port. */
export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** Everything the process wrote to stderr so far (its JSON log lines). */
  log(): string;
}

/** Starts the server on free ports over `homeDir` and `dataDir`; killed in `t.teardown`. */
export async function startServerProcess(
  t: ExecutionContext,
  homeDir: string,
  dataDir: string,
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [ENTRY, 'serve', '--port', '0', '--metrics-port', '0', '--host', '127.0.0.1'],
    {
      env: {
        ...process.env,
        LABELWISE_HOME: homeDir,
        LABELWISE_DATA_DIR: dataDir,
        LABELWISE_BACKEND: 'wasm',
        LABELWISE_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /"event":"labelwise serving","grpcPort":(\d+)/.exec(stderr);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return { child, port, exited, log: () => stderr };
}
