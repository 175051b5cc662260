/**
 * Writes a manifest in the format `readManifest` reads back unchanged: `.xlsx` (a `manifest`
 * worksheet plus a `labels` worksheet fixing the label order) or `.csv`.
 *
 * A CSV has no place for the label order, and a reader infers the labels from `target` sorted by
 * name; so in a CSV `target_class` runs over exactly those labels, and labels no row uses, or a
 * custom order, are lost. Write `.xlsx` to keep them.
 */
import path from 'node:path';

import ExcelJS from 'exceljs';

import { InvalidInputError } from '../errors/domain-errors.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { LABELS_SHEET_NAME } from './manifest-reader.js';
import type { Manifest } from './manifest-row.js';

/** The columns a written manifest has, in order. */
export const MANIFEST_COLUMNS = ['id', 'split', 'target', 'target_class'] as const;

/**
 * Writes `manifest` to `filePath`, as `.xlsx` or `.csv` by its extension, atomically (a reader
 * sees the old file or the new one). Every cell is written as text, so ids such as `007` keep
 * their zeros.
 *
 * @throws InvalidInputError for another extension, a row label missing from `labelNames`, or a
 *   label name with a comma (it could not be read back from `target`).
 */
export async function writeManifest(filePath: string, manifest: Manifest): Promise<void> {
  const extension = path.extname(filePath).toLowerCase();
  if (extension !== '.xlsx' && extension !== '.csv') {
    throw new InvalidInputError(
      `manifest ${path.basename(filePath)} must end in .xlsx or .csv to be written`,
    );
  }
  const records = manifestRecords(
    manifest,
    extension === '.csv' ? labelsAsReadFromCsv(manifest) : manifest.labelNames,
  );

  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('manifest');
  sheet.addRows([[...MANIFEST_COLUMNS], ...records]);
  if (extension === '.csv') {
    const content = await workbook.csv.writeBuffer();
    // exceljs types its Node Buffer as an ArrayBuffer; either way this views it as bytes.
    await writeFileAtomic(filePath, new Uint8Array(content));
    return;
  }
  const labelsSheet = workbook.addWorksheet(LABELS_SHEET_NAME);
  labelsSheet.addRows([['label'], ...manifest.labelNames.map((label) => [label])]);
  const content = await workbook.xlsx.writeBuffer();
  await writeFileAtomic(filePath, new Uint8Array(content));
}

/** The labels a reader finds in a CSV: those the rows use, sorted as the reader sorts them. */
function labelsAsReadFromCsv(manifest: Manifest): string[] {
  const used = new Set(manifest.rows.flatMap((row) => row.labels));
  return [...used].sort();
}

/** One [id, split, target, target_class] record of text per row, vectors over `labelNames`. */
function manifestRecords(manifest: Manifest, labelNames: readonly string[]): string[][] {
  const position = new Map(labelNames.map((label, index) => [label, index]));
  const withComma = labelNames.find((label) => label.includes(','));
  if (withComma !== undefined) {
    throw new InvalidInputError(`label ${JSON.stringify(withComma)} contains a comma`);
  }

  return manifest.rows.map((row) => {
    const vector = new Array<string>(labelNames.length).fill('0');
    for (const label of row.labels) {
      const index = position.get(label);
      if (index === undefined) {
        throw new InvalidInputError(
          `manifest row ${row.row} (${JSON.stringify(row.id)}) has label ` +
            `${JSON.stringify(label)}, which is not among the manifest's labels`,
        );
      }
      vector[index] = '1';
    }
    return [row.id, row.split, row.labels.join(','), vector.join(',')];
  });
}
