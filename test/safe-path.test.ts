import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import test from 'ava';

import { resolveDataPath } from '../src/data/safe-path.js';
import { InvalidInputError, NotFoundError, PermissionError } from '../src/errors/domain-errors.js';

interface Fixture {
  dataDir: string;
  outsideDir: string;
}

/** A data directory with a nested image, plus links that point outside it. */
async function makeFixture(): Promise<Fixture> {
  const base = await mkdtemp(path.join(tmpdir(), 'labelwise-safe-path-'));
  const dataDir = path.join(base, 'data');
  const outsideDir = path.join(base, 'outside');
  await mkdir(path.join(dataDir, 'images', 'train'), { recursive: true });
  await mkdir(outsideDir);
  await writeFile(path.join(dataDir, 'images', 'train', 'a.png'), 'png');
  await writeFile(path.join(outsideDir, 'secret.txt'), 'secret');
  await symlink(path.join(outsideDir, 'secret.txt'), path.join(dataDir, 'leak.txt'));
  await symlink(outsideDir, path.join(dataDir, 'elsewhere'));
  await symlink(path.join(dataDir, 'images'), path.join(dataDir, 'pictures'));
  await symlink(path.join(outsideDir, 'not-yet.txt'), path.join(dataDir, 'dangling.txt'));
  return { dataDir, outsideDir };
}

let fixture: Fixture;

test.before(async () => {
  fixture = await makeFixture();
});

test.after.always(async () => {
  await rm(path.dirname(fixture.dataDir), { recursive: true, force: true });
});

const input = { mustExist: true, field: 'manifest_path' };
const output = { mustExist: false, field: 'output_path' };

test('a nested relative path inside the data directory resolves to its real path', async (t) => {
  const resolved = await resolveDataPath(fixture.dataDir, 'images/train/a.png', input);
  t.is(path.basename(resolved), 'a.png');
  t.true(resolved.endsWith(path.join('data', 'images', 'train', 'a.png')));
});

test('a link that stays inside the data directory is allowed', async (t) => {
  const resolved = await resolveDataPath(fixture.dataDir, 'pictures/train/a.png', input);
  t.true(resolved.endsWith(path.join('data', 'images', 'train', 'a.png')));
});

test(
  'dot-dot segments that climb out are refused ' + 'naming the field and the path as given',
  async (t) => {
    const error = await t.throwsAsync(
      resolveDataPath(fixture.dataDir, 'images/../../outside/secret.txt', input),
      {
        instanceOf: PermissionError,
      },
    );
    t.regex(error.message, /manifest_path "images\/\.\.\/\.\.\/outside\/secret\.txt"/);
    t.false(error.message.includes(fixture.outsideDir));
  },
);

test('dot-dot segments that stay inside are allowed', async (t) => {
  const resolved = await resolveDataPath(fixture.dataDir, 'images/../images/train/a.png', input);
  t.true(resolved.endsWith(path.join('images', 'train', 'a.png')));
});

test('an absolute path is refused even when it points inside the data directory', async (t) => {
  const inside = path.join(fixture.dataDir, 'images', 'train', 'a.png');
  const error = await t.throwsAsync(resolveDataPath(fixture.dataDir, inside, input), {
    instanceOf: PermissionError,
  });
  t.regex(error.message, /manifest_path .* must be relative/);
});

test('a symlink to a file outside is refused without showing where it points', async (t) => {
  const error = await t.throwsAsync(resolveDataPath(fixture.dataDir, 'leak.txt', input), {
    instanceOf: PermissionError,
  });
  t.regex(error.message, /manifest_path "leak\.txt"/);
  t.false(error.message.includes(fixture.outsideDir));
  t.false(error.message.includes(fixture.dataDir));
});

test('an output under a symlinked directory that leads outside is refused', async (t) => {
  await t.throwsAsync(resolveDataPath(fixture.dataDir, 'elsewhere/new/report.csv', output), {
    instanceOf: PermissionError,
  });
});

test('an output written through a dangling symlink is refused', async (t) => {
  await t.throwsAsync(resolveDataPath(fixture.dataDir, 'dangling.txt', output), {
    instanceOf: PermissionError,
  });
});

test('a NUL byte is invalid input naming the field', async (t) => {
  await t.throwsAsync(resolveDataPath(fixture.dataDir, 'images/a\0.png', input), {
    instanceOf: InvalidInputError,
    message: /manifest_path contains a NUL byte/,
  });
});

test('an empty path is invalid input naming the field', async (t) => {
  await t.throwsAsync(resolveDataPath(fixture.dataDir, '', output), {
    instanceOf: InvalidInputError,
    message: /output_path is empty/,
  });
});

test('a missing input is not found, naming the path as given', async (t) => {
  await t.throwsAsync(resolveDataPath(fixture.dataDir, 'images/missing.csv', input), {
    instanceOf: NotFoundError,
    message: /manifest_path "images\/missing\.csv" does not exist/,
  });
});

test(
  'an output in directories that do not exist yet ' + 'resolves inside the data directory',
  async (t) => {
    const resolved = await resolveDataPath(fixture.dataDir, 'runs/2024/report.xlsx', output);
    t.true(resolved.endsWith(path.join('data', 'runs', '2024', 'report.xlsx')));
  },
);
