/**
 * The cluster assignment file: one row per clustered image with columns `id`, `cluster` and
 * `distance`, as an Excel workbook (`.xlsx`) or CSV (`.csv`) chosen by the file extension. The
 * clustering job writes it; the augmentation job reads it back to balance clusters.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import ExcelJS from 'exceljs';

import { InvalidInputError, NotFoundError } from '../errors/domain-errors.js';
import { writeFileAtomic } from '../store/atomic-write.js';

/** One image's cluster. */
export interface ClusterAssignment {
  /** Image id, as in the manifest. */
  id: string;
  /** Cluster index, from 0. */
  cluster: number;
  /** Distance to the cluster's centroid in standardised PCA space. */
  distance: number;
}

type AssignmentFormat = 'xlsx' | 'csv';

function formatOf(filePath: string): AssignmentFormat {
  const extension = path.extname(filePath).toLowerCase();
  if (extension === '.xlsx') return 'xlsx';
  if (extension === '.csv') return 'csv';
  throw new InvalidInputError(
    `cluster assignment file ${path.basename(filePath)} must end in .xlsx or .csv`,
  );
}

/** Writes `assignments` to `filePath` atomically; the format follows the extension. */
export async function writeClusterAssignments(
  filePath: string,
  assignments: ClusterAssignment[],
): Promise<void> {
  const format = formatOf(filePath);
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('clusters');
  sheet.addRow(['id', 'cluster', 'distance']);
  for (const { id, cluster, distance } of assignments) sheet.addRow([id, cluster, distance]);
  const content =
    format === 'xlsx' ? await workbook.xlsx.writeBuffer() : await workbook.csv.writeBuffer();
  await writeFileAtomic(filePath, Buffer.from(content as ArrayBuffer));
}

/**
 * Reads an assignment file into a map from image id to cluster index.
 *
 * @throws NotFoundError when the file does not exist; InvalidInputError naming the row when a
 *   column is missing, an id is empty or repeated, or a cluster is not a non-negative integer.
 */
export async function readClusterAssignments(filePath: string): Promise<Map<string, number>> {
  const format = formatOf(filePath);
  const name = path.basename(filePath);
  let content: Buffer;
  try {
    content = await readFile(filePath);
  } catch (caught) {
    if ((caught as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`cluster assignment file ${name} does not exist`);
    }
    throw caught;
  }

  const workbook = new ExcelJS.Workbook();
  let sheet: ExcelJS.Worksheet | undefined;
  try {
    if (format === 'xlsx') {
      await workbook.xlsx.load(content as unknown as ArrayBuffer);
      sheet = workbook.worksheets[0];
    } else {
      // Without `map`, exceljs turns numeric- or date-looking ids into numbers and dates.
      sheet = await workbook.csv.read(Readable.from([content]), { map: (value: unknown) => value });
    }
  } catch {
    throw new InvalidInputError(`cluster assignment file ${name} is not a readable ${format} file`);
  }
  if (!sheet) throw new InvalidInputError(`cluster assignment file ${name} has no sheet`);

  const header = (sheet.getRow(1).values as unknown[]).map((value) =>
    cellText(value).toLowerCase(),
  );
  const idColumn = header.indexOf('id');
  const clusterColumn = header.indexOf('cluster');
  if (idColumn < 1 || clusterColumn < 1) {
    throw new InvalidInputError(`cluster assignment file ${name} needs columns id and cluster`);
  }

  const clusters = new Map<string, number>();
  const firstRowOf = new Map<string, number>();
  for (let rowNumber = 2; rowNumber <= sheet.rowCount; rowNumber++) {
    const values = sheet.getRow(rowNumber).values as unknown[];
    const id = cellText(values[idColumn]).trim();
    const clusterText = cellText(values[clusterColumn]).trim();
    if (id === '' && clusterText === '') continue;
    if (id === '') throw new InvalidInputError(`${name} row ${rowNumber}: the id is empty`);
    const cluster = Number(clusterText);
    if (clusterText === '' || !Number.isInteger(cluster) || cluster < 0) {
      throw new InvalidInputError(
        `${name} row ${rowNumber}: cluster of ${id} must be a non-negative integer, ` +
          `got '${clusterText}'`,
      );
    }
    const earlier = firstRowOf.get(id);
    if (earlier !== undefined) {
      throw new InvalidInputError(`${name} row ${rowNumber}: id ${id} repeats row ${earlier}`);
    }
    firstRowOf.set(id, rowNumber);
    clusters.set(id, cluster);
  }
  return clusters;
}

/** The text of a cell whatever exceljs made of it (string, number, rich text, formula result). */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object') {
    const cell = value as { richText?: { text: string }[]; result?: unknown; text?: unknown };
    if (Array.isArray(cell.richText)) return cell.richText.map((part) => part.text).join('');
    if ('result' in cell) return cellText(cell.result);
    if ('text' in cell) return cellText(cell.text);
  }
  return String(value);
}
