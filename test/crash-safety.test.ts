/**
 * Kills a server process with SIGKILL at random moments of its riskiest work (training, saving a
 * version, activating, writing an augmented set) and checks after every kill that the home
 * directory is consistent: every version folder complete and loadable, the ACTIVE pointer naming a
 * complete version, no half-written file under a final name, and the interrupted job FAILED with
 * its reason once a server restarts over the directory.
 */
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test, { type ExecutionContext } from 'ava';
import sharp from 'sharp';
import { selectBackend } from '../src/backend/select-backend.js';
import { readManifest } from '../src/data/manifest-reader.js';
import { generateSyntheticDataSet } from '../src/demo/synthetic-data-set.js';
import { labelwiseV1 } from '../src/grpc/proto-definition.js';
import { INTERNAL_ERROR_MESSAGE } from '../src/jobs/job-manager.js';
import {
  STOPPED_BEFORE_START_MESSAGE,
  STOPPED_WHILE_RUNNING_MESSAGE,
} from '../src/jobs/job-store.js';
import { ModelStore } from '../src/store/model-store.js';
import { saveColourModel } from './helpers/colour-model.js';
import { solidImage } from './helpers/images.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import {
  makeDirectories,
  promisify,
  startTestServer,
  type AsyncClient,
} from './helpers/test-server.js';

interface Job {
  id: string;
  state: string;
  message: string;
  train?: { modelVersion: string };
}

const TRAINING = {
  manifest: 'colours/manifest.xlsx',
  imageDir: 'colours/images',
  epochs: 3,
  batchSize: 8,
  inputSize: 32,
  architecture: 'small-cnn',
  activate: true,
};

const VERSION_FILES = ['metadata.json', 'model.json', 'weights.bin'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A uniformly random whole number of milliseconds in [lowMs, highMs]. */
const randomMs = (lowMs: number, highMs: number) =>
  lowMs + Math.floor(Math.random() * (highMs - lowMs + 1));

/** A home and data directory shared by every server of one scenario, and what was verified. */
interface Site {
  homeDir: string;
  dataDir: string;
  /** Versions already checked complete; a complete folder never changes, so it is checked once. */
  verified: Set<string>;
  kills: number;
}

async function makeSite(t: ExecutionContext): Promise<Site> {
  const { homeDir, dataDir } = await makeDirectories(t);
  await generateSyntheticDataSet({
    directory: path.join(dataDir, 'colours'),
    imageCount: 40,
    sizePx: 32,
  });
  return { homeDir, dataDir, verified: new Set(), kills: 0 };
}

/** A server process over the site and its Trainer client. */
async function start(
  t: ExecutionContext,
  site: Site,
): Promise<{ process: ServerProcess; trainer: AsyncClient; classifier: AsyncClient }> {
  const process = await startServerProcess(t, site.homeDir, site.dataDir);
  const address = `127.0.0.1:${process.port}`;
  const trainerClient = new labelwiseV1.Trainer(address, grpc.credentials.createInsecure());
  const classifierClient = new labelwiseV1.Classifier(address, grpc.credentials.createInsecure());
  t.teardown(() => {
    trainerClient.close();
    classifierClient.close();
  });
  return { process, trainer: promisify(trainerClient), classifier: promisify(classifierClient) };
}

async function kill(site: Site, process: ServerProcess): Promise<void> {
  process.child.kill('SIGKILL');
  await process.exited;
  site.kills++;
}

/**
 * Checks the home directory on disk: only complete, loadable versions under version names, a
 * pointer naming one of them, temporary names starting with a dot, and parseable job files.
 */
async function inspectHome(t: ExecutionContext, site: Site, when: string): Promise<void> {
  const modelsDir = path.join(site.homeDir, 'models');
  const names = await readdir(modelsDir);
  const versions = names.filter((name) => /^[1-9][0-9]*$/.test(name));
  for (const name of names) {
    if (name.startsWith('.') || name === 'ACTIVE' || versions.includes(name)) continue;
    t.fail(`${when}: unexpected entry models/${name}`);
  }
  for (const version of versions) {
    if (site.verified.has(version)) continue;
    const dir = path.join(modelsDir, version);
    t.deepEqual((await readdir(dir)).sort(), VERSION_FILES, `${when}: files of version ${version}`);
    const modelJson = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8'));
    const expectedBytes = (modelJson.weightsManifest[0].weights as { shape: number[] }[])
      .map((w) => 4 * w.shape.reduce((a, b) => a * b, 1))
      .reduce((a, b) => a + b, 0);
    t.is(
      (await stat(path.join(dir, 'weights.bin'))).size,
      expectedBytes,
      `${when}: weights of ${version}`,
    );
    const loaded = await new ModelStore(site.homeDir).loadModel(version);
    loaded.model.dispose();
    site.verified.add(version);
  }
  if (names.includes('ACTIVE')) {
    const pointer = await readFile(path.join(modelsDir, 'ACTIVE'), 'utf8');
    t.regex(pointer, /^[1-9][0-9]*\n$/, `${when}: ACTIVE holds a version`);
    t.true(
      versions.includes(pointer.trim()),
      `${when}: ACTIVE names version ${pointer.trim()}, which is complete`,
    );
  }
  const jobsDir = path.join(site.homeDir, 'jobs');
  for (const name of await readdir(jobsDir).catch(() => [] as string[])) {
    if (name.startsWith('.') && name.endsWith('.tmp')) continue;
    t.regex(name, /^job-[0-9a-f-]+\.json$/, `${when}: job file name`);
    JSON.parse(await readFile(path.join(jobsDir, name), 'utf8'));
  }
}

/**
 * After a restart: the job killed mid-way is FAILED with the stop reason, or SUCCEEDED if it
 * finished first, in which case its version exists. Returns the final state, for the log.
 */
async function checkInterruptedJob(
  t: ExecutionContext,
  trainer: AsyncClient,
  site: Site,
  id: string,
): Promise<string> {
  const job: Job = await trainer.GetJob({ id });
  if (job.state === 'JOB_STATE_FAILED') {
    // A job killed before the queue started it says so instead.
    t.true(
      [STOPPED_WHILE_RUNNING_MESSAGE, STOPPED_BEFORE_START_MESSAGE].includes(job.message),
      `job ${id}: ${job.message}`,
    );
  } else {
    t.is(job.state, 'JOB_STATE_SUCCEEDED', `job ${id}: ${job.message}`);
    if (job.train !== undefined) t.true(site.verified.has(job.train.modelVersion));
  }
  return job.state.replace('JOB_STATE_', '').toLowerCase();
}

/** After a restart, the server serves what the pointer names. */
async function checkServesPointer(
  t: ExecutionContext,
  site: Site,
  classifier: AsyncClient,
): Promise<void> {
  const pointer = await readFile(path.join(site.homeDir, 'models', 'ACTIVE'), 'utf8').catch(
    () => '',
  );
  if (pointer === '') return;
  const model = await classifier.GetModel({});
  t.is(model.version, pointer.trim());
}

/** Counts outcomes for the log: how many interrupted jobs failed and how many had finished. */
function tally(outcomes: string[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  return [...counts].map(([outcome, count]) => `${count} ${outcome}`).join(', ');
}

test.before(async () => {
  await selectBackend('wasm');
});

// Serial: each test drives a server process that uses both cores; two at once would stretch the
// timing windows the kills aim at.
test.serial(
  'kills during training leave complete versions, a valid pointer and failed jobs',
  async (t) => {
    const site = await makeSite(t);
    const outcomes: string[] = [];
    let pending: string | undefined;
    // The first delays probe the moments right after the job is accepted.
    const delaysMs = [0, 5, 40, ...Array.from({ length: 5 }, () => randomMs(100, 3500))];
    for (const [round, delayMs] of delaysMs.entries()) {
      const { process, trainer, classifier } = await start(t, site);
      if (pending !== undefined)
        outcomes.push(await checkInterruptedJob(t, trainer, site, pending));
      await checkServesPointer(t, site, classifier);
      const job: Job = await trainer.Train(TRAINING);
      pending = job.id;
      await sleep(delayMs);
      await kill(site, process);
      await inspectHome(t, site, `training round ${round} killed after ${delayMs} ms`);
    }
    const { trainer } = await start(t, site);
    outcomes.push(await checkInterruptedJob(t, trainer, site, pending as string));
    t.log(
      `${site.kills} kills during training (delays ${delaysMs.join(', ')} ms); ` +
        `jobs: ${tally(outcomes)}; versions ${site.verified.size}`,
    );
  },
);

test.serial('kills while a version is being saved leave no partial version', async (t) => {
  const site = await makeSite(t);
  const outcomes: string[] = [];
  let pending: string | undefined;
  const delaysMs = Array.from({ length: 5 }, () => randomMs(0, 150));
  for (const [round, delayMs] of delaysMs.entries()) {
    const { process, trainer, classifier } = await start(t, site);
    if (pending !== undefined) outcomes.push(await checkInterruptedJob(t, trainer, site, pending));
    await checkServesPointer(t, site, classifier);
    const job: Job = await trainer.Train({ ...TRAINING, epochs: 1 });
    pending = job.id;
    while (!/saving the model/.test((await trainer.GetJob({ id: job.id })).message)) await sleep(5);
    await sleep(delayMs);
    await kill(site, process);
    await inspectHome(t, site, `saving round ${round} killed ${delayMs} ms into saving`);
  }
  const { trainer } = await start(t, site);
  outcomes.push(await checkInterruptedJob(t, trainer, site, pending as string));
  t.log(
    `${site.kills} kills while saving (delays ${delaysMs.join(', ')} ms); ` +
      `jobs: ${tally(outcomes)}; versions ${site.verified.size}`,
  );
});

test.serial(
  'kills during a loop of ActivateModel calls leave the pointer on a complete version',
  async (t) => {
    const site = await makeSite(t);
    const store = new ModelStore(site.homeDir);
    await store.init();
    for (const gain of [4, 8, 12]) await saveColourModel(store, 16, gain);
    await store.setActiveVersion('1');
    const activations: number[] = [];
    for (let round = 0; round < 5; round++) {
      const { process, classifier, trainer } = await start(t, site);
      await checkServesPointer(t, site, classifier);
      let stopped = false;
      let count = 0;
      const loop = (async () => {
        while (!stopped) {
          await trainer.ActivateModel({ version: String((count % 3) + 1) }).catch(() => {
            stopped = true;
          });
          count++;
        }
      })();
      await sleep(randomMs(100, 800));
      await kill(site, process);
      stopped = true;
      await loop;
      activations.push(count);
      await inspectHome(t, site, `activation round ${round}`);
    }
    const { classifier } = await start(t, site);
    await checkServesPointer(t, site, classifier);
    t.log(
      `${site.kills} kills during activation; ` +
        `ActivateModel calls per round: ${activations.join(', ')}`,
    );
  },
);

test.serial(
  'kills while an augmented set is written leave only whole images and manifests',
  async (t) => {
    const site = await makeSite(t);
    const outputDir = path.join(site.dataDir, 'colours', 'images', 'augmented');
    const outputManifest = path.join(site.dataDir, 'colours', 'augmented.xlsx');
    const outcomes: string[] = [];
    let pending: string | undefined;
    const delaysMs = Array.from({ length: 4 }, () => randomMs(50, 1500));
    for (const [round, delayMs] of delaysMs.entries()) {
      const { process, trainer } = await start(t, site);
      if (pending !== undefined)
        outcomes.push(await checkInterruptedJob(t, trainer, site, pending));
      // Each round writes afresh, as an operator would after a failed job.
      await rm(outputDir, { recursive: true, force: true });
      await rm(outputManifest, { force: true });
      const job: Job = await trainer.Augment({
        manifest: 'colours/manifest.xlsx',
        imageDir: 'colours/images',
        policy: 'labels',
        outputManifest: 'colours/augmented.xlsx',
        outputDir: 'colours/images/augmented',
        seed: round + 1,
      });
      pending = job.id;
      await sleep(delayMs);
      await kill(site, process);
      await inspectHome(t, site, `augment round ${round}`);
      for (const name of await readdir(outputDir).catch(() => [] as string[])) {
        if (name.startsWith('.')) continue;
        await t.notThrowsAsync(
          sharp(path.join(outputDir, name)).raw().toBuffer(),
          `augmented ${name}`,
        );
      }
      const written = await stat(outputManifest).then(
        () => true,
        () => false,
      );
      if (written) await t.notThrowsAsync(readManifest(outputManifest, 'augmented.xlsx'));
    }
    const { trainer } = await start(t, site);
    outcomes.push(await checkInterruptedJob(t, trainer, site, pending as string));
    t.log(
      `${site.kills} kills while augmenting (delays ${delaysMs.join(', ')} ms); ` +
        `jobs: ${tally(outcomes)}`,
    );
  },
);

test.serial(
  'a write error while saving a version fails the job cleanly and serving goes on',
  async (t) => {
    const server = await startTestServer(t, {
      prepare: async (store) => store.setActiveVersion(await saveColourModel(store)),
    });
    await generateSyntheticDataSet({
      directory: path.join(server.dataDir, 'colours'),
      imageCount: 40,
      sizePx: 32,
    });
    const modelsDir = path.join(server.homeDir, 'models');
    const job: Job = await server.trainer.Train({ ...TRAINING, epochs: 2 });
    while ((await server.trainer.GetJob({ id: job.id })).state !== 'JOB_STATE_RUNNING')
      await sleep(10);
    // The store's folder becomes a file, so every write into it fails (ENOTDIR/EEXIST), as a full
    // or read-only disk would make it fail, and for root as well.
    await rename(modelsDir, `${modelsDir}.away`);
    await writeFile(modelsDir, 'not a folder');
    t.teardown(async () => {
      await rm(modelsDir, { force: true, recursive: true });
      await rename(`${modelsDir}.away`, modelsDir).catch(() => undefined);
    });

    const red = await solidImage([255, 0, 0]);
    let predictions = 0;
    let state = '';
    do {
      const response = await server.classifier.Predict({ images: [{ id: 'r', data: red }] });
      t.deepEqual(response.predictions[0].labels, ['red']);
      predictions++;
      const current: Job = await server.trainer.GetJob({ id: job.id });
      state = current.state;
      if (state !== 'JOB_STATE_RUNNING') {
        t.is(state, 'JOB_STATE_FAILED');
        t.is(current.message, INTERNAL_ERROR_MESSAGE, 'the cause stays in the server log');
      }
    } while (state === 'JOB_STATE_RUNNING');

    await rm(modelsDir, { force: true });
    await rename(`${modelsDir}.away`, modelsDir);
    t.deepEqual(await server.store.listVersions(), ['1']);
    t.is(await server.store.readActiveVersion(), '1');
    t.deepEqual(
      (await readdir(modelsDir)).filter((name) => name.startsWith('.tmp-')),
      [],
    );
    const after = await server.classifier.Predict({ images: [{ id: 'r', data: red }] });
    t.is(after.modelVersion, '1');
    t.log(`${predictions} Predict calls answered while the job ran and failed`);
  },
);
