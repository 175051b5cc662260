import test from 'ava';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setLogLevel } from '../src/logging/logger.js';
import type { JobRecord } from '../src/jobs/job.js';
import { newJobId } from '../src/jobs/job-id.js';
import {
  JobStore,
  STOPPED_BEFORE_START_MESSAGE,
  STOPPED_WHILE_RUNNING_MESSAGE,
} from '../src/jobs/job-store.js';

setLogLevel('error');

async function temporaryHome(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const home = await mkdtemp(path.join(tmpdir(), 'labelwise-job-store-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  return home;
}

function job(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: newJobId(),
    kind: 'train',
    state: 'succeeded',
    progress: 1,
    message: 'done',
    createdAtMs: 1_700_000_000_000,
    startedAtMs: 1_700_000_001_000,
    finishedAtMs: 1_700_000_002_000,
    result: { kind: 'train', value: { modelVersion: 'v1' } },
    request: { manifest: 'train.csv' },
    ...overrides,
  };
}

test('a saved job is read back unchanged by load', async (t) => {
  const home = await temporaryHome(t);
  const saved = job();
  await new JobStore(home).save(saved);

  t.deepEqual(await new JobStore(home).load(), [saved]);
  t.deepEqual(await readdir(path.join(home, 'jobs')), [`${saved.id}.json`]);
});

test('load lists jobs newest first', async (t) => {
  const home = await temporaryHome(t);
  const store = new JobStore(home);
  const older = job();
  const newer = job();
  await store.save(newer);
  await store.save(older);

  const ids = (await new JobStore(home).load()).map((loaded) => loaded.id);

  t.deepEqual(ids, [newer.id, older.id]);
});

test(
  'a job found running at load becomes failed ' + 'with a message that says why, and is saved',
  async (t) => {
    const home = await temporaryHome(t);
    const running = job({ state: 'running', progress: 0.4, message: 'epoch 2' });
    delete running.finishedAtMs;
    delete running.result;
    await new JobStore(home).save(running);

    const [loaded] = await new JobStore(home).load(1_800_000_000_000);

    t.is(loaded?.state, 'failed');
    t.is(loaded?.message, STOPPED_WHILE_RUNNING_MESSAGE);
    t.is(loaded?.finishedAtMs, 1_800_000_000_000);
    const onDisk = JSON.parse(
      await readFile(path.join(home, 'jobs', `${running.id}.json`), 'utf8'),
    );
    t.is(onDisk.state, 'failed');
  },
);

test(
  'a job found queued at load becomes failed ' + 'with a message that says it never started',
  async (t) => {
    const home = await temporaryHome(t);
    const queued = job({ state: 'queued', progress: 0, message: 'waiting' });
    await new JobStore(home).save(queued);

    const [loaded] = await new JobStore(home).load();

    t.is(loaded?.state, 'failed');
    t.is(loaded?.message, STOPPED_BEFORE_START_MESSAGE);
  },
);

test('a corrupt job file is skipped and the other jobs still load', async (t) => {
  const home = await temporaryHome(t);
  const good = job();
  await new JobStore(home).save(good);
  await writeFile(path.join(home, 'jobs', 'job-20240101000000000-abcdef.json'), '{"id": "job-2');
  await writeFile(path.join(home, 'jobs', 'job-20240101000000001-abcdef.json'), '[1, 2]');

  t.deepEqual(await new JobStore(home).load(), [good]);
});

test('a job file whose id does not match its name is skipped', async (t) => {
  const home = await temporaryHome(t);
  const store = new JobStore(home);
  const good = job();
  await store.save(good);
  const misnamed = path.join(store.directory, 'job-20240101000000000-abcdef.json');
  await writeFile(misnamed, JSON.stringify(job()));

  t.deepEqual(await new JobStore(home).load(), [good]);
});

test('load on a home without a jobs folder returns no jobs and creates the folder', async (t) => {
  const home = await temporaryHome(t);

  t.deepEqual(await new JobStore(home).load(), []);
  t.deepEqual(await readdir(path.join(home, 'jobs')), []);
});

test('quick successive saves of one job leave the last content on disk', async (t) => {
  const home = await temporaryHome(t);
  const store = new JobStore(home);
  const record = job({ state: 'running', progress: 0 });
  const writes: Promise<void>[] = [];
  for (let step = 1; step <= 20; step++) {
    record.progress = step / 20;
    writes.push(store.save(record));
  }
  await Promise.all(writes);
  await store.flush();

  const onDisk = JSON.parse(
    await readFile(path.join(store.directory, `${record.id}.json`), 'utf8'),
  );
  t.is(onDisk.progress, 1);
});

test('temporary files left by an interrupted write are removed at load', async (t) => {
  const home = await temporaryHome(t);
  const store = new JobStore(home);
  await store.save(job());
  await writeFile(path.join(store.directory, '.job-x.json.0123456789ab.tmp'), '{"half');

  await new JobStore(home).load();

  const names = await readdir(store.directory);
  t.false(names.some((name) => name.endsWith('.tmp')));
});
