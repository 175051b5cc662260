import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import ExcelJS from 'exceljs';
import test from 'ava';

import { readManifest } from '../src/data/manifest-reader.js';
import { InvalidInputError, NotFoundError } from '../src/errors/domain-errors.js';

let directory: string;

test.before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'labelwise-manifest-reader-'));
});

test.after.always(async () => {
  await rm(directory, { recursive: true, force: true });
});

let fileCounter = 0;

interface WorkbookOptions {
  /** Contents of a `labels` worksheet's first column. */
  labels?: string[];
  /** Changes the data sheet after the rows are added. */
  edit?: (sheet: ExcelJS.Worksheet) => void;
}

/** Writes a workbook whose first sheet holds `rows` (the first being the header). */
async function xlsxFile(rows: unknown[][], options: WorkbookOptions = {}): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('data');
  sheet.addRows(rows);
  options.edit?.(sheet);
  if (options.labels !== undefined) {
    workbook.addWorksheet('Labels').addRows(options.labels.map((label) => [label]));
  }
  const filePath = path.join(directory, `manifest-${++fileCounter}.xlsx`);
  await workbook.xlsx.writeFile(filePath);
  return filePath;
}

async function csvFile(text: string): Promise<string> {
  const filePath = path.join(directory, `manifest-${++fileCounter}.csv`);
  await writeFile(filePath, text);
  return filePath;
}

const HEADER = ['id', 'split', 'target'];

async function readError(filePath: string): Promise<string> {
  const error = await (async () => {
    try {
      await readManifest(filePath, 'train.xlsx');
    } catch (caught) {
      return caught;
    }
    return undefined;
  })();
  if (!(error instanceof InvalidInputError))
    throw new Error(`expected InvalidInputError: ${error}`);
  return error.message;
}

test('a csv with quoted targets is parsed with labels sorted by name', async (t) => {
  const filePath = await csvFile(
    'ID , Split,TARGET\r\na.png,train,"class3,class17"\r\n\r\nb.png,Test,class3\r\n',
  );
  const manifest = await readManifest(filePath, 'm.csv');
  t.deepEqual(manifest.labelNames, ['class17', 'class3']);
  t.deepEqual(manifest.rows, [
    { row: 2, id: 'a.png', split: 'train', labels: ['class17', 'class3'] },
    { row: 4, id: 'b.png', split: 'test', labels: ['class3'] },
  ]);
});

test('a csv keeps ids that look like numbers as written', async (t) => {
  const filePath = await csvFile('id,split,target\n007,train,a\n');
  const manifest = await readManifest(filePath, 'm.csv');
  t.is(manifest.rows[0]!.id, '007');
});

test('a labels worksheet fixes the label order and the order within each row', async (t) => {
  const filePath = await xlsxFile(
    [HEADER, ['a.png', 'train', 'cat,zebra,dog'], ['b.png', 'test', 'dog']],
    { labels: ['label', 'zebra', 'dog', 'cat', 'unused'] },
  );
  const manifest = await readManifest(filePath, 'm.xlsx');
  t.deepEqual(manifest.labelNames, ['zebra', 'dog', 'cat', 'unused']);
  t.deepEqual(manifest.rows[0]!.labels, ['zebra', 'dog', 'cat']);
});

test('a label missing from the labels worksheet is an error naming the row', async (t) => {
  const filePath = await xlsxFile([HEADER, ['a.png', 'train', 'cat'], ['b.png', 'test', 'cow']], {
    labels: ['cat', 'dog'],
  });
  t.regex(
    await readError(filePath),
    /train\.xlsx: row 3: target lists "cow", missing from the labels sheet/,
  );
});

test('missing columns are named', async (t) => {
  const filePath = await xlsxFile([
    ['id', 'labels'],
    ['a.png', 'cat'],
  ]);
  t.regex(await readError(filePath), /header row 1: missing columns split, target/);
});

test('an unknown split value is reported with its row', async (t) => {
  const filePath = await xlsxFile([HEADER, ['a.png', 'train', 'cat'], ['b.png', 'val', 'cat']]);
  t.regex(await readError(filePath), /row 3: column split: unknown split "val"/);
});

test('an empty target is reported with its row', async (t) => {
  const filePath = await xlsxFile([HEADER, ['a.png', 'train', ' , '], ['b.png', 'test', 'cat']]);
  t.regex(await readError(filePath), /row 2: column target: the target is empty/);
});

test('a duplicate id names both rows', async (t) => {
  const filePath = await xlsxFile([
    HEADER,
    ['a.png', 'train', 'cat'],
    ['b.png', 'train', 'cat'],
    ['a.png', 'test', 'dog'],
  ]);
  t.regex(await readError(filePath), /row 4: column id: "a\.png" repeats row 2/);
});

test('ids that are absolute, climb out with .. or hold a NUL byte are refused', async (t) => {
  const filePath = await xlsxFile([
    HEADER,
    ['/etc/passwd', 'train', 'cat'],
    ['images/../../secret.png', 'train', 'cat'],
    ['fine..name.png', 'train', 'cat'],
  ]);
  const message = await readError(filePath);
  t.regex(message, /row 2: column id: id "\/etc\/passwd" is an absolute path/);
  t.regex(message, /row 3: column id: .* contains a '\.\.' segment/);
  t.notRegex(message, /row 4/);

  // XML cannot hold a NUL byte, so only a CSV can carry one.
  const csvPath = await csvFile('id,split,target\nok.png,train,cat\na\0.png,train,cat\n');
  t.regex(await readError(csvPath), /row 3: column id: the id contains a NUL byte/);
});

test('a number where text is expected is read as its text', async (t) => {
  const filePath = await xlsxFile([HEADER, [17, 'train', 'cat']]);
  const manifest = await readManifest(filePath, 'm.xlsx');
  t.is(manifest.rows[0]!.id, '17');
});

test('dates, booleans, error values and rich text are refused naming the cell', async (t) => {
  const filePath = await xlsxFile([
    HEADER,
    [new Date(Date.UTC(2024, 0, 1)), 'train', 'cat'],
    ['b.png', true, 'cat'],
    ['c.png', 'train', { error: '#N/A' }],
    [{ richText: [{ text: 'd.png', font: { bold: true } }] }, 'train', 'cat'],
  ]);
  const message = await readError(filePath);
  t.regex(message, /row 2: column id: cell A2 holds a date/);
  t.regex(message, /row 3: column split: cell B3 holds a boolean/);
  t.regex(message, /row 4: column target: cell C4 holds an error value/);
  t.regex(message, /row 5: column id: cell A5 holds rich text/);
});

test('a formula cell is read through its cached text result', async (t) => {
  const filePath = await xlsxFile([
    HEADER,
    [{ formula: '"a"&".png"', result: 'a.png' }, 'train', 'cat'],
  ]);
  const manifest = await readManifest(filePath, 'm.xlsx');
  t.is(manifest.rows[0]!.id, 'a.png');
});

test('a formula without a text result is refused naming the cell', async (t) => {
  const filePath = await xlsxFile([HEADER, [{ formula: '1+1', result: 2 }, 'train', 'cat']]);
  t.regex(
    await readError(filePath),
    /row 2: column id: cell A2 holds a formula without a text result/,
  );
});

test('merged cells are refused naming the range', async (t) => {
  const filePath = await xlsxFile([HEADER, ['a.png', 'train', 'cat'], ['b.png', 'train', 'cat']], {
    edit: (sheet) => sheet.mergeCells('B2:B3'),
  });
  t.regex(await readError(filePath), /merged cells \(B2:B3\)/);
});

test('a workbook with more than 1000 columns is refused', async (t) => {
  const filePath = await xlsxFile([HEADER, ['a.png', 'train', 'cat']], {
    edit: (sheet) => {
      sheet.getCell(2, 5000).value = 'x';
    },
  });
  t.regex(await readError(filePath), /5000 columns, more than the 1000/);
});

test('a manifest with a header and no rows is refused', async (t) => {
  t.regex(await readError(await xlsxFile([HEADER])), /has no data rows/);
  t.regex(await readError(await csvFile('id,split,target\n\n')), /has no data rows/);
});

test('a missing file is not found, named by its display name only', async (t) => {
  const error = await t.throwsAsync(readManifest(path.join(directory, 'nope.xlsx'), 'nope.xlsx'), {
    instanceOf: NotFoundError,
  });
  t.is(error.message, 'nope.xlsx does not exist');
});

test('a file that is not a workbook is invalid input', async (t) => {
  const filePath = path.join(directory, 'fake.xlsx');
  await writeFile(filePath, 'id,split,target\nthis is not a zip file\n');
  t.regex(await readError(filePath), /train\.xlsx is not a readable \.xlsx workbook/);
});

test('a csv with an unterminated quote is invalid input', async (t) => {
  const filePath = await csvFile('id,split,target\na.png,train,"cat,dog\n');
  t.regex(await readError(filePath), /is not valid CSV/);
});

test('another extension is refused', async (t) => {
  const filePath = await csvFile('id,split,target\n');
  const renamed = filePath.replace(/\.csv$/, '.txt');
  await writeFile(renamed, 'id,split,target\n');
  await t.throwsAsync(readManifest(renamed, 'm.txt'), {
    instanceOf: InvalidInputError,
    message: /neither an \.xlsx nor a \.csv/,
  });
});

test('a target_class that agrees with the target is accepted', async (t) => {
  const filePath = await csvFile(
    'id,split,target,target_class\na.png,train,"b,a","1,1,0"\nb.png,test,c,"[0, 0, 1]"\n',
  );
  const manifest = await readManifest(filePath, 'm.csv');
  t.deepEqual(manifest.labelNames, ['a', 'b', 'c']);
  t.deepEqual(manifest.rows[0]!.labels, ['a', 'b']);
});

test('a target_class that disagrees with the target is reported with its row', async (t) => {
  const filePath = await csvFile(
    'id,split,target,target_class\n' +
      'a.png,train,"a,b","1,1,0"\n' +
      'b.png,test,c,"1,0,1"\n' +
      'c.png,test,c,"0,1"\n',
  );
  const message = await readError(filePath);
  t.regex(message, /row 3: column target_class marks "a", "c" but target lists "c"/);
  t.regex(message, /row 4: column target_class: expected 3 comma-separated 0\/1 values, got "0,1"/);
});

test('up to five problems are listed and the rest counted', async (t) => {
  const rows = Array.from({ length: 8 }, (_, i) => [`${i}.png`, 'validation', 'cat']);
  const message = await readError(await xlsxFile([HEADER, ...rows]));
  t.is(message.match(/unknown split/g)?.length, 5);
  t.regex(message, /row 2: .*row 6: .*; and 3 more problems$/);
});
