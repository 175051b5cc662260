import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import test from 'ava';

import { readManifest } from '../src/data/manifest-reader.js';
import type { Manifest } from '../src/data/manifest-row.js';
import { writeManifest } from '../src/data/manifest-writer.js';
import { InvalidInputError } from '../src/errors/domain-errors.js';

let directory: string;

test.before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'labelwise-manifest-writer-'));
});

test.after.always(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A manifest in a custom label order, with one label no row uses and an id like a number. */
const MANIFEST: Manifest = {
  labelNames: ['zebra', 'dog', 'cat', 'unused'],
  rows: [
    { row: 2, id: 'a.png', split: 'train', labels: ['zebra', 'cat'] },
    { row: 3, id: '007', split: 'test', labels: ['dog'] },
    { row: 4, id: 'nested/c d.png', split: 'train', labels: ['zebra', 'dog', 'cat'] },
  ],
};

test('an xlsx manifest reads back unchanged, label order and unused labels included', async (t) => {
  const filePath = path.join(directory, 'round-trip.xlsx');
  await writeManifest(filePath, MANIFEST);
  t.deepEqual(await readManifest(filePath, 'round-trip.xlsx'), MANIFEST);
});

test('a csv manifest reads back with its rows and the used labels sorted by name', async (t) => {
  const filePath = path.join(directory, 'round-trip.csv');
  await writeManifest(filePath, MANIFEST);
  const reread = await readManifest(filePath, 'round-trip.csv');
  t.deepEqual(reread.labelNames, ['cat', 'dog', 'zebra']);
  t.deepEqual(
    reread.rows.map((row) => [row.row, row.id, row.split, [...row.labels].sort()]),
    MANIFEST.rows.map((row) => [row.row, row.id, row.split, [...row.labels].sort()]),
  );
});

test(
  'a csv manifest quotes multi-label targets ' + 'and writes target_class in label order',
  async (t) => {
    const filePath = path.join(directory, 'quoted.csv');
    await writeManifest(filePath, MANIFEST);
    const lines = (await readFile(filePath, 'utf8')).trim().split(/\r?\n/);
    t.is(lines[0], 'id,split,target,target_class');
    // Labels sorted by name: cat, dog, zebra.
    t.is(lines[1], 'a.png,train,"zebra,cat","1,0,1"');
  },
);

test('writing leaves no temporary file behind and replaces an existing manifest', async (t) => {
  const filePath = path.join(directory, 'replaced.xlsx');
  await writeManifest(filePath, MANIFEST);
  const shorter: Manifest = {
    labelNames: ['cat'],
    rows: [{ row: 2, id: 'x.png', split: 'train', labels: ['cat'] }],
  };
  await writeManifest(filePath, shorter);
  t.deepEqual(await readManifest(filePath, 'replaced.xlsx'), shorter);
  t.false((await readdir(directory)).some((name) => name.endsWith('.tmp')));
});

test('a row label that is not among the manifest labels is refused', async (t) => {
  const broken: Manifest = {
    labelNames: ['cat'],
    rows: [{ row: 2, id: 'a.png', split: 'train', labels: ['dog'] }],
  };
  await t.throwsAsync(writeManifest(path.join(directory, 'broken.xlsx'), broken), {
    instanceOf: InvalidInputError,
    message: /row 2 .*"dog"/,
  });
});

test('an extension other than xlsx or csv is refused', async (t) => {
  await t.throwsAsync(writeManifest(path.join(directory, 'manifest.json'), MANIFEST), {
    instanceOf: InvalidInputError,
  });
});
