import { link, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { PermissionError } from '../src/errors/domain-errors.js';
import { assertWritableOutput } from '../src/security/output-guard.js';
import { makeDirectories } from './helpers/test-server.js';

/** A layout where the data directory contains the home directory, the risky arrangement. */
async function layout(t: Parameters<typeof makeDirectories>[0]) {
  const { dataDir } = await makeDirectories(t);
  const homeDir = path.join(dataDir, 'var');
  await mkdir(path.join(homeDir, 'models', '1'), { recursive: true });
  await mkdir(path.join(homeDir, 'jobs'), { recursive: true });
  await mkdir(path.join(dataDir, 'set', 'images'), { recursive: true });
  const manifest = path.join(dataDir, 'set', 'manifest.xlsx');
  await writeFile(manifest, 'x');
  return { dataDir, homeDir, manifest };
}

const refused: [string, (paths: { dataDir: string; homeDir: string }) => string, RegExp][] = [
  ['the model store', (p) => path.join(p.homeDir, 'models'), /model store/],
  [
    'a file inside a version',
    (p) => path.join(p.homeDir, 'models', '1', 'model.json'),
    /model store/,
  ],
  ['the active pointer', (p) => path.join(p.homeDir, 'models', 'ACTIVE'), /model store/],
  [
    'a new folder in the model store',
    (p) => path.join(p.homeDir, 'models', 'new', 'a.png'),
    /model store/,
  ],
  ['a job file', (p) => path.join(p.homeDir, 'jobs', 'job-1.json'), /job store/],
  ['the home directory', (p) => p.homeDir, /home directory/],
  ['the input manifest', (p) => path.join(p.dataDir, 'set', 'manifest.xlsx'), /job's inputs/],
  [
    'the manifest by a roundabout path',
    (p) => path.join(p.dataDir, 'set', 'images', '..', 'manifest.xlsx'),
    /inputs/,
  ],
];

for (const [what, target, message] of refused) {
  test(`an output naming ${what} is refused`, async (t) => {
    const paths = await layout(t);
    const error = await t.throwsAsync(
      assertWritableOutput(target(paths), {
        homeDir: paths.homeDir,
        inputs: [paths.manifest],
        field: 'output_manifest',
        shown: 'out.xlsx',
      }),
      { instanceOf: PermissionError },
    );
    t.regex(error?.message ?? '', message);
    t.regex(error?.message ?? '', /^output_manifest "out\.xlsx" /);
    t.false(error?.message.includes(paths.dataDir), 'the message holds no absolute path');
  });
}

test('a link into the model store and a hard link to the manifest are seen through', async (t) => {
  const paths = await layout(t);
  const storeLink = path.join(paths.dataDir, 'set', 'store-link');
  await symlink(path.join(paths.homeDir, 'models'), storeLink);
  await t.throwsAsync(
    assertWritableOutput(path.join(storeLink, 'ACTIVE'), { homeDir: paths.homeDir, inputs: [] }),
    { instanceOf: PermissionError, message: /model store/ },
  );
  const hardLink = path.join(paths.dataDir, 'set', 'copy.xlsx');
  await link(paths.manifest, hardLink);
  await t.throwsAsync(
    assertWritableOutput(hardLink, { homeDir: paths.homeDir, inputs: [paths.manifest] }),
    { instanceOf: PermissionError, message: /inputs/ },
  );
});

test('ordinary outputs in the data directory are allowed', async (t) => {
  const paths = await layout(t);
  const options = { homeDir: paths.homeDir, inputs: [paths.manifest] };
  await t.notThrowsAsync(
    assertWritableOutput(path.join(paths.dataDir, 'set', 'clusters.xlsx'), options),
  );
  await t.notThrowsAsync(
    assertWritableOutput(path.join(paths.dataDir, 'set', 'images', 'aug'), options),
  );
  await t.notThrowsAsync(
    assertWritableOutput(path.join(paths.dataDir, 'new', 'deep', 'm.csv'), options),
  );
  // A sibling whose name merely starts like the store's is not inside it.
  await t.notThrowsAsync(assertWritableOutput(path.join(paths.homeDir, 'models-export'), options));
});
