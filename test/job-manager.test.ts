import test, { type ExecutionContext } from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CancelledError,
  InvalidInputError,
  NotFoundError,
  PreconditionError,
} from '../src/errors/domain-errors.js';
import { setLogLevel } from '../src/logging/logger.js';
import type { JobRecord, JobResult, JobState } from '../src/jobs/job.js';
import {
  INTERNAL_ERROR_MESSAGE,
  JobManager,
  type JobBody,
  type JobContext,
  type JobManagerOptions,
} from '../src/jobs/job-manager.js';
import {
  JobStore,
  STOPPED_BEFORE_START_MESSAGE,
  STOPPED_WHILE_RUNNING_MESSAGE,
} from '../src/jobs/job-store.js';

setLogLevel('error');

const TRAIN_RESULT: JobResult = { kind: 'train', value: { modelVersion: 'v1', bestEpoch: 3 } };

/** A job body the test finishes by hand, recording the context it ran with. */
class ManualBody {
  context: JobContext | undefined;
  private resolveResult: ((result: JobResult) => void) | undefined;
  private rejectResult: ((error: unknown) => void) | undefined;
  readonly body: JobBody = (context) => {
    this.context = context;
    return new Promise((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
  };

  get started(): boolean {
    return this.context !== undefined;
  }

  succeed(result: JobResult = TRAIN_RESULT): void {
    this.resolveResult?.(result);
  }

  fail(error: unknown): void {
    this.rejectResult?.(error);
  }
}

/** A body that throws CancelledError as soon as its signal aborts. */
const cooperativeBody: JobBody = (context) =>
  new Promise((_resolve, reject) => {
    context.signal.addEventListener('abort', () => reject(new CancelledError('stopped')), {
      once: true,
    });
  });

async function openManager(
  t: ExecutionContext,
  options: Partial<JobManagerOptions> = {},
  home?: string,
): Promise<{ manager: JobManager; store: JobStore; home: string }> {
  const directory = home ?? (await mkdtemp(path.join(tmpdir(), 'labelwise-job-manager-')));
  if (home === undefined) t.teardown(() => rm(directory, { recursive: true, force: true }));
  const store = options.store ?? new JobStore(directory);
  // A short grace keeps the teardown quick for tests that leave a body unfinished.
  const manager = await JobManager.open({ closeGraceMs: 100, ...options, store });
  t.teardown(() => manager.close());
  return { manager, store, home: directory };
}

/** Resolves once the job is in `state`. */
function stateOf(manager: JobManager, id: string, state: JobState): Promise<JobRecord> {
  return new Promise((resolve) => {
    manager.watch(id, (job) => {
      if (job.state === state) resolve(job);
    });
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

test('submit returns the job at once in the queued state', async (t) => {
  const { manager } = await openManager(t);
  const body = new ManualBody();

  const job = manager.submit('train', { manifest: 'a.csv' }, body.body);

  t.is(job.state, 'queued');
  t.is(job.kind, 'train');
  t.is(job.progress, 0);
  t.deepEqual(job.request, { manifest: 'a.csv' });
  t.regex(job.id, /^job-\d{17}-[0-9a-f]{6}$/);
  t.false(body.started);
});

test('jobs run one at a time in the order they were submitted', async (t) => {
  const { manager } = await openManager(t);
  const first = new ManualBody();
  const second = new ManualBody();
  const third = new ManualBody();
  const a = manager.submit('train', {}, first.body);
  const b = manager.submit('cluster', {}, second.body);
  manager.submit('evaluate', {}, third.body);

  await until(() => first.started);
  t.is(manager.get(a.id).state, 'running');
  t.is(manager.get(b.id).state, 'queued');
  t.false(second.started);

  first.succeed();
  await until(() => second.started);
  t.is(manager.get(a.id).state, 'succeeded');
  t.false(third.started);

  second.fail(new Error('x'));
  await until(() => third.started);
  t.is(manager.get(b.id).state, 'failed');
});

test('a succeeded job has its result, full progress and its times', async (t) => {
  const { manager } = await openManager(t);
  const job = manager.submit('train', {}, async () => TRAIN_RESULT);

  const done = await stateOf(manager, job.id, 'succeeded');

  t.deepEqual(done.result, TRAIN_RESULT);
  t.is(done.progress, 1);
  t.true((done.startedAtMs ?? 0) >= done.createdAtMs);
  t.true((done.finishedAtMs ?? 0) >= (done.startedAtMs ?? Infinity));
});

test('cancelling a queued job cancels it at once and its body never runs', async (t) => {
  const { manager } = await openManager(t);
  const blocker = new ManualBody();
  const queued = new ManualBody();
  manager.submit('train', {}, blocker.body);
  const job = manager.submit('augment', {}, queued.body);

  await until(() => blocker.started);

  const cancelled = manager.cancel(job.id);

  t.is(cancelled.state, 'cancelled');
  t.is(typeof cancelled.finishedAtMs, 'number');
  blocker.succeed();
  const next = new ManualBody();
  manager.submit('evaluate', {}, next.body);
  await until(() => next.started);
  t.false(queued.started);
});

test(
  'cancelling a running job aborts its signal ' + 'and it ends cancelled when the body stops',
  async (t) => {
    const { manager } = await openManager(t);
    const job = manager.submit('train', {}, cooperativeBody);
    await stateOf(manager, job.id, 'running');

    const cancelling = manager.cancel(job.id);

    t.is(cancelling.state, 'running');
    t.is(cancelling.message, 'cancelling');
    const ended = await stateOf(manager, job.id, 'cancelled');
    t.is(typeof ended.finishedAtMs, 'number');
  },
);

test('a running job whose body throws anything after the cancel ends cancelled', async (t) => {
  const { manager } = await openManager(t);
  const body = new ManualBody();
  const job = manager.submit('train', {}, body.body);
  await until(() => body.started);

  manager.cancel(job.id);
  t.true(body.context?.signal.aborted);
  body.fail(new Error('tensor disposed'));

  await stateOf(manager, job.id, 'cancelled');
});

test('a running job that finishes despite the cancel keeps its result and succeeds', async (t) => {
  const { manager } = await openManager(t);
  const body = new ManualBody();
  const job = manager.submit('train', {}, body.body);
  await until(() => body.started);

  manager.cancel(job.id);
  body.succeed();

  const done = await stateOf(manager, job.id, 'succeeded');
  t.deepEqual(done.result, TRAIN_RESULT);
});

test('cancelling a finished job returns it unchanged', async (t) => {
  const { manager } = await openManager(t);
  const job = manager.submit('train', {}, async () => TRAIN_RESULT);
  const done = await stateOf(manager, job.id, 'succeeded');

  t.deepEqual(manager.cancel(job.id), done);
});

test('an unknown job id gets NotFoundError from get, cancel and watch', async (t) => {
  const { manager } = await openManager(t);
  const id = 'job-20000101000000000-000000';

  t.throws(() => manager.get(id), { instanceOf: NotFoundError, message: /job-20000101/ });
  t.throws(() => manager.cancel(id), { instanceOf: NotFoundError });
  t.throws(() => manager.watch(id, () => undefined), { instanceOf: NotFoundError });
});

test(
  'a watcher sees the job now, ' + 'every progress report and every state until it ends',
  async (t) => {
    const { manager } = await openManager(t);
    const body = new ManualBody();
    const job = manager.submit('train', {}, body.body);
    const seen: JobRecord[] = [];
    manager.watch(job.id, (update) => seen.push(update));
    await until(() => body.started);

    body.context?.report({ progress: 0.25, message: 'epoch 1' });
    body.context?.report({
      progress: 0.5,
      trainProgress: {
        epoch: 2,
        epochs: 4,
        step: 1,
        stepsPerEpoch: 10,
        loss: 0.3,
        validationLoss: 0.4,
        validationF1Micro: 0.6,
        validationF1Macro: 0.5,
        imagesPerSecond: 120,
        etaSeconds: 30,
      },
    });
    body.succeed();
    await stateOf(manager, job.id, 'succeeded');
    body.context?.report({ progress: 0.1, message: 'too late' });

    t.deepEqual(
      seen.map((update) => [update.state, update.progress, update.message]),
      [
        ['queued', 0, 'waiting for the jobs ahead of it'],
        ['running', 0, 'running'],
        ['running', 0.25, 'epoch 1'],
        ['running', 0.5, 'epoch 1'],
        ['succeeded', 1, 'done'],
      ],
    );
    t.is(seen[3]?.trainProgress?.epoch, 2);
  },
);

test('watching a finished job calls the listener once with its final state', async (t) => {
  const { manager } = await openManager(t);
  const job = manager.submit('cluster', {}, async () => ({ kind: 'cluster', value: {} }));
  await stateOf(manager, job.id, 'succeeded');
  const seen: JobState[] = [];

  manager.watch(job.id, (update) => seen.push(update.state));

  t.deepEqual(seen, ['succeeded']);
});

test('an unsubscribed watcher hears nothing more', async (t) => {
  const { manager } = await openManager(t);
  const body = new ManualBody();
  const job = manager.submit('train', {}, body.body);
  const seen: JobState[] = [];
  const unsubscribe = manager.watch(job.id, (update) => seen.push(update.state));

  unsubscribe();
  await until(() => body.started);
  body.succeed();
  await stateOf(manager, job.id, 'succeeded');

  t.deepEqual(seen, ['queued']);
});

test('a DomainError fails the job with its message', async (t) => {
  const { manager } = await openManager(t);
  const job = manager.submit('evaluate', {}, async () => {
    throw new InvalidInputError('manifest row 7 has no id');
  });

  const failed = await stateOf(manager, job.id, 'failed');

  t.is(failed.message, 'manifest row 7 has no id');
});

test('any other error fails the job with a generic message that hides the details', async (t) => {
  const { manager } = await openManager(t);
  const job = manager.submit('evaluate', {}, async () => {
    throw new TypeError('cannot read /home/secret/x');
  });

  const failed = await stateOf(manager, job.id, 'failed');

  t.is(failed.message, INTERNAL_ERROR_MESSAGE);
});

test('a body that throws CancelledError on its own ends cancelled', async (t) => {
  const { manager } = await openManager(t);
  const job = manager.submit('augment', {}, async () => {
    throw new CancelledError('the data directory went away');
  });

  await stateOf(manager, job.id, 'cancelled');
  t.pass();
});

test('a result of another kind than the job fails it as an internal error', async (t) => {
  const { manager } = await openManager(t);
  const job = manager.submit('train', {}, async () => ({ kind: 'evaluate', value: {} }));

  const failed = await stateOf(manager, job.id, 'failed');

  t.is(failed.message, INTERNAL_ERROR_MESSAGE);
});

test('list returns every job newest first', async (t) => {
  const { manager } = await openManager(t);
  const ids = ['train', 'cluster', 'augment'].map(
    () => manager.submit('train', {}, new ManualBody().body).id,
  );

  t.deepEqual(
    manager.list().map((job) => job.id),
    ids.reverse(),
  );
});

test('the state hook sees every transition with the state left', async (t) => {
  const transitions: string[] = [];
  const { manager } = await openManager(t, {
    onStateChange: (job, previous) => transitions.push(`${job.kind}:${previous}->${job.state}`),
  });
  const job = manager.submit('train', {}, async () => TRAIN_RESULT);
  await stateOf(manager, job.id, 'succeeded');

  t.deepEqual(transitions, [
    'train:undefined->queued',
    'train:queued->running',
    'train:running->succeeded',
  ]);
});

test('finished jobs are persisted and read back by a new manager', async (t) => {
  const { manager, home } = await openManager(t);
  const job = manager.submit('train', { epochs: 3 }, async () => TRAIN_RESULT);
  const done = await stateOf(manager, job.id, 'succeeded');
  await manager.close();

  const { manager: reopened } = await openManager(t, {}, home);

  t.deepEqual(reopened.get(job.id), done);
});

test('progress reaches watchers at once but is written at most once per interval', async (t) => {
  const home = await mkdtemp(path.join(tmpdir(), 'labelwise-job-manager-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  const saved: JobRecord[] = [];
  class CountingStore extends JobStore {
    override save(job: JobRecord): Promise<void> {
      saved.push(structuredClone(job));
      return super.save(job);
    }
  }
  const { manager } = await openManager(
    t,
    { store: new CountingStore(home), progressPersistIntervalMs: 60_000 },
    home,
  );
  const body = new ManualBody();
  const job = manager.submit('train', {}, body.body);
  const seen: number[] = [];
  manager.watch(job.id, (update) => seen.push(update.progress));
  await until(() => body.started);

  for (let step = 1; step <= 50; step++) body.context?.report({ progress: step / 100 });
  body.succeed();
  await stateOf(manager, job.id, 'succeeded');

  t.is(seen.length, 1 + 1 + 50 + 1);
  // The reports came right after the write of the running state, so their write was deferred,
  // and the state change that came before the deferral ran wrote their progress as well.
  t.deepEqual(
    saved.map((record) => record.state),
    ['queued', 'running', 'succeeded'],
  );
});

test('close fails queued jobs, stops the running one and refuses new jobs', async (t) => {
  const { manager, home } = await openManager(t);
  const running = manager.submit('train', {}, cooperativeBody);
  const queued = manager.submit('cluster', {}, new ManualBody().body);
  await stateOf(manager, running.id, 'running');

  await manager.close();

  t.is(manager.get(running.id).state, 'failed');
  t.is(manager.get(running.id).message, STOPPED_WHILE_RUNNING_MESSAGE);
  t.is(manager.get(queued.id).message, STOPPED_BEFORE_START_MESSAGE);
  t.throws(() => manager.submit('train', {}, cooperativeBody), { instanceOf: PreconditionError });
  const { manager: reopened } = await openManager(t, {}, home);
  t.is(reopened.get(running.id).state, 'failed');
});

test('close gives up on a body that ignores its signal after the grace period', async (t) => {
  const { manager } = await openManager(t, { closeGraceMs: 50 });
  const body = new ManualBody();
  const job = manager.submit('train', {}, body.body);
  await until(() => body.started);

  await manager.close();

  t.is(manager.get(job.id).state, 'failed');
  body.succeed();
  await new Promise((resolve) => setImmediate(resolve));
  t.is(manager.get(job.id).state, 'failed');
});

test('a progress report is written to the store after the throttle interval', async (t) => {
  const { manager, store } = await openManager(t, { progressPersistIntervalMs: 20 });
  const body = new ManualBody();
  const job = manager.submit('train', {}, body.body);
  await until(() => body.started);

  body.context?.report({ progress: 0.3, message: 'epoch 3' });

  const file = path.join(store.directory, `${job.id}.json`);
  let onDisk: JobRecord | undefined;
  while (onDisk?.progress !== 0.3) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    onDisk = JSON.parse(await readFile(file, 'utf8').catch(() => 'null')) ?? undefined;
  }
  t.is(onDisk.message, 'epoch 3');
  body.succeed();
});

test('a body may set the finished job message alongside its result', async (t) => {
  const { manager } = await openManager(t);
  const job = manager.submit('train', {}, async () => ({
    ...TRAIN_RESULT,
    message: 'trained model version v1',
  }));

  const done = await stateOf(manager, job.id, 'succeeded');

  t.is(done.message, 'trained model version v1');
  t.deepEqual(done.result, TRAIN_RESULT);
});
