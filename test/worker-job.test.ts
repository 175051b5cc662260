import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CancelledError, DomainError, NotFoundError } from '../src/errors/domain-errors.js';
import { createLogger, setLogLevel } from '../src/logging/logger.js';
import type { JobProgressUpdate } from '../src/jobs/job.js';
import { JobManager } from '../src/jobs/job-manager.js';
import { JobStore } from '../src/jobs/job-store.js';
import { runInWorker } from '../src/jobs/worker-job.js';
import type { TestWorkerInput } from './fixtures/test-worker-job.js';

setLogLevel('error');

const moduleUrl = new URL('./fixtures/test-worker-job.js', import.meta.url);

function run(input: TestWorkerInput, controller = new AbortController(), cancelGraceMs?: number) {
  const reports: JobProgressUpdate[] = [];
  const context = {
    jobId: 'job-test',
    signal: controller.signal,
    report: (update: JobProgressUpdate) => reports.push(update),
    log: createLogger('jobs-test'),
  };
  const outcome = runInWorker<unknown>({ moduleUrl, input, context, cancelGraceMs });
  return { outcome, reports, controller };
}

test('a worker result resolves the promise and its progress reaches report', async (t) => {
  const { outcome, reports } = run({ mode: 'result', value: 21 });

  t.deepEqual(await outcome, { doubled: 42 });
  t.deepEqual(reports, [
    { progress: 0.5, message: 'halfway' },
    { progress: 1, message: 'done' },
  ]);
});

test(
  'a DomainError thrown in the worker ' + 'is rethrown with the same class and message',
  async (t) => {
    const { outcome } = run({ mode: 'domain-error' });

    const error = await t.throwsAsync(outcome, { instanceOf: NotFoundError });
    t.is(error?.message, 'model version v9 does not exist');
    t.is(error?.name, 'NotFoundError');
  },
);

test('any other error thrown in the worker becomes a plain Error, not a DomainError', async (t) => {
  const { outcome } = run({ mode: 'plain-error' });

  const error = await t.throwsAsync(outcome);
  t.false(error instanceof DomainError);
  t.regex(error?.message ?? '', /TypeError/);
});

test('an uncaught exception in the worker is reported as a crash', async (t) => {
  const { outcome } = run({ mode: 'crash' });

  const error = await t.throwsAsync(outcome, { message: /crashed: boom/ });
  t.false(error instanceof DomainError);
});

test('a worker that exits with a non-zero code rejects with the code', async (t) => {
  const { outcome } = run({ mode: 'exit' });

  await t.throwsAsync(outcome, { message: 'the job worker exited with code 3' });
});

test(
  'a cooperative worker stops when the signal aborts ' + 'and its CancelledError comes back',
  async (t) => {
    const { outcome, reports, controller } = run({ mode: 'wait-for-cancel' });
    await waitFor(() => reports.length > 0);

    controller.abort();

    await t.throwsAsync(outcome, { instanceOf: CancelledError, message: 'stopped on request' });
  },
);

test('a busy worker that ignores the cancel is terminated after the grace period', async (t) => {
  const { outcome, reports, controller } = run({ mode: 'busy-loop' }, undefined, 200);
  await waitFor(() => reports.length > 0);

  controller.abort();

  await t.throwsAsync(outcome, { instanceOf: CancelledError, message: /job-test was cancelled/ });
});

test('an already aborted signal rejects without starting a worker', async (t) => {
  const controller = new AbortController();
  controller.abort();
  const { outcome, reports } = run({ mode: 'result', value: 1 }, controller);

  await t.throwsAsync(outcome, { instanceOf: CancelledError });
  t.deepEqual(reports, []);
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

test('cancelling a manager job that runs in a busy worker ends it cancelled', async (t) => {
  const home = await mkdtemp(path.join(tmpdir(), 'labelwise-worker-job-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  const manager = await JobManager.open({ store: new JobStore(home) });
  t.teardown(() => manager.close());
  const job = manager.submit('train', {}, async (context) => {
    const value = await runInWorker({
      moduleUrl,
      input: { mode: 'busy-loop' },
      context,
      cancelGraceMs: 100,
    });
    return { kind: 'train', value };
  });
  await new Promise<void>((resolve) => {
    manager.watch(job.id, (update) => {
      if (update.message === 'spinning') resolve();
    });
  });

  manager.cancel(job.id);

  await new Promise<void>((resolve) => {
    manager.watch(job.id, (update) => {
      if (update.state === 'cancelled') resolve();
    });
  });
  t.is(manager.get(job.id).state, 'cancelled');
});
