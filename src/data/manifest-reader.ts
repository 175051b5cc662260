/**
 * Reads a data-set manifest from an `.xlsx` workbook (its first worksheet) or a `.csv` file and
 * checks it thoroughly, because a bad manifest otherwise surfaces hours later as a wrong model.
 * Both formats go through exceljs, so they share one validation path; CSV parsing (RFC 4180,
 * quoted fields with commas and line breaks) is exceljs's fast-csv. The file stays whole at about
 * 400 lines: every check below is part of one validation pass over the same rows.
 *
 * Conventions:
 * - Columns are found by header name in row 1 (trimmed, case-insensitive): `id`, `split`, `target`
 *   and optionally `target_class`; other columns are ignored. Row numbers in messages are 1-based
 *   with the header as row 1 (for CSV, records rather than lines).
 * - Label order is sorted by UTF-16 code units (as Python's `sorted`), unless the workbook has a
 *   worksheet named `labels` (any case) whose first column lists the labels in order; an optional
 *   header cell `label` or `labels` there is skipped. With such a sheet, a label in `target` that
 *   it does not list is an error.
 * - `target` is comma-separated label names; `target_class` is a 0/1 vector over all labels in
 *   label order, separated by commas or spaces and optionally in brackets, and must agree with
 *   `target`.
 * - `split` is `train` or `test`, in any case. Rows whose cells are all empty are skipped.
 * - Problems are collected, and up to MAX_REPORTED_PROBLEMS of them are reported in one message.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

import ExcelJS from 'exceljs';

import { InvalidInputError, NotFoundError, PermissionError } from '../errors/domain-errors.js';
import type { Manifest, ManifestRow, Split } from './manifest-row.js';

/** Workbooks wider than this are refused before their rows are looked at. */
export const MAX_MANIFEST_COLUMNS = 1000;

/** How many problems one error message lists; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 5;

/** The name of the optional worksheet that fixes the label order. */
export const LABELS_SHEET_NAME = 'labels';

const REQUIRED_COLUMNS = ['id', 'split', 'target'] as const;
const OPTIONAL_COLUMNS = ['target_class'] as const;
type ColumnName = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

/**
 * Reads and validates the manifest at `filePath` (`.xlsx` or `.csv`). `displayName` stands for the
 * file in every error message (callers pass the path as the client gave it), so messages never
 * show where the data directory is.
 *
 * @throws NotFoundError when the file does not exist.
 * @throws InvalidInputError for anything wrong with its content, naming rows, columns and cells.
 */
export async function readManifest(filePath: string, displayName: string): Promise<Manifest> {
  const format = formatOf(filePath, displayName);
  const content = await readContent(filePath, displayName);
  const workbook = await loadWorkbook(content, format, displayName);

  const sheets = workbook.worksheets;
  const labelsSheet = sheets.find((sheet) => sheet.name.toLowerCase() === LABELS_SHEET_NAME);
  const dataSheet = sheets.find((sheet) => sheet !== labelsSheet);
  if (dataSheet === undefined) throw new InvalidInputError(`${displayName} has no worksheet`);
  checkShape(dataSheet, displayName);
  if (labelsSheet !== undefined) checkShape(labelsSheet, displayName);

  const problems = new ProblemList(displayName);
  const columns = headerColumns(dataSheet, displayName);
  const listedLabels =
    labelsSheet === undefined ? undefined : readLabelsSheet(labelsSheet, problems);
  const parsed = readRows(dataSheet, columns, problems);
  problems.throwIfAny();
  if (parsed.length === 0) throw new InvalidInputError(`${displayName} has no data rows`);

  const labelNames = listedLabels ?? sortedLabels(parsed);
  const position = new Map(labelNames.map((label, index) => [label, index]));
  for (const entry of parsed) {
    const unknown = entry.labels.filter((label) => !position.has(label));
    if (unknown.length > 0) {
      problems.add(
        entry.row,
        `target lists ${unknown.map(quote).join(', ')}, ` +
          `missing from the ${LABELS_SHEET_NAME} sheet`,
      );
      continue;
    }
    entry.labels.sort((a, b) => position.get(a)! - position.get(b)!);
    if (entry.targetClass !== undefined) checkTargetClass(entry, labelNames, problems);
  }
  problems.throwIfAny();

  const rows: ManifestRow[] = parsed.map(({ row, id, split, labels }) => ({
    row,
    id,
    split,
    labels,
  }));
  return { rows, labelNames };
}

/** A data row after its own cells are checked, before label order is known. */
interface ParsedRow extends ManifestRow {
  /** The raw `target_class` text, checked once the label order is known. */
  targetClass?: string;
}

/** Problems found so far, reported together. */
class ProblemList {
  private readonly problems: { row: number; message: string }[] = [];

  constructor(private readonly displayName: string) {}

  add(row: number, message: string): void {
    this.problems.push({ row, message });
  }

  throwIfAny(): void {
    if (this.problems.length === 0) return;
    // Stable, so problems of one row keep the order they were found in.
    const sorted = [...this.problems].sort((a, b) => a.row - b.row);
    const shown = sorted
      .slice(0, MAX_REPORTED_PROBLEMS)
      .map(({ row, message }) => `row ${row}: ${message}`);
    const more = sorted.length - shown.length;
    const tail = more > 0 ? `; and ${more} more problem${more === 1 ? '' : 's'}` : '';
    throw new InvalidInputError(`${this.displayName}: ${shown.join('; ')}${tail}`);
  }
}

function formatOf(filePath: string, displayName: string): 'xlsx' | 'csv' {
  const extension = path.extname(filePath).toLowerCase();
  if (extension === '.xlsx' || extension === '.csv') return extension === '.xlsx' ? 'xlsx' : 'csv';
  throw new InvalidInputError(`${displayName} is neither an .xlsx nor a .csv file`);
}

async function readContent(filePath: string, displayName: string): Promise<Buffer> {
  try {
    return await readFile(filePath);
  } catch (caught) {
    const code = (caught as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new NotFoundError(`${displayName} does not exist`);
    }
    if (code === 'EISDIR') throw new InvalidInputError(`${displayName} is a directory`);
    if (code === 'EACCES' || code === 'EPERM') {
      throw new PermissionError(`${displayName} is not readable`);
    }
    throw caught;
  }
}

async function loadWorkbook(
  content: Buffer,
  format: 'xlsx' | 'csv',
  displayName: string,
): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  if (format === 'xlsx') {
    try {
      await workbook.xlsx.load(content as unknown as ArrayBuffer);
    } catch {
      throw new InvalidInputError(`${displayName} is not a readable .xlsx workbook`);
    }
    return workbook;
  }
  try {
    // The identity map keeps every field text; by default exceljs turns numeric- or date-looking
    // fields into numbers and dates. Empty fields become empty cells so blank lines are skipped.
    await workbook.csv.read(Readable.from([content]), {
      map: (value: unknown) => (value === '' ? null : value),
    });
  } catch (caught) {
    const reason = caught instanceof Error ? caught.message.slice(0, 120) : 'unreadable';
    throw new InvalidInputError(`${displayName} is not valid CSV: ${reason}`);
  }
  return workbook;
}

function checkShape(sheet: ExcelJS.Worksheet, displayName: string): void {
  const columnCount = sheet.columnCount;
  if (columnCount > MAX_MANIFEST_COLUMNS) {
    throw new InvalidInputError(
      `${displayName}: worksheet ${quote(sheet.name)} has ${columnCount} columns, ` +
        `more than the ${MAX_MANIFEST_COLUMNS} a manifest may have`,
    );
  }
  if (sheet.hasMerges) {
    const merges = (sheet.model as { merges?: string[] }).merges ?? [];
    throw new InvalidInputError(
      `${displayName}: worksheet ${quote(sheet.name)} has merged cells ` +
        `(${merges.slice(0, MAX_REPORTED_PROBLEMS).join(', ')}); unmerge them`,
    );
  }
}

function headerColumns(sheet: ExcelJS.Worksheet, displayName: string): Map<ColumnName, number> {
  const columns = new Map<ColumnName, number>();
  const header = sheet.getRow(1);
  const problems: string[] = [];
  for (let column = 1; column <= header.cellCount; column++) {
    const cell = header.getCell(column);
    const text = cellText(cell);
    if (typeof text !== 'string') {
      problems.push(text.problem);
      continue;
    }
    const name = text.trim().toLowerCase() as ColumnName;
    if (!(REQUIRED_COLUMNS as readonly string[]).concat(OPTIONAL_COLUMNS).includes(name)) continue;
    const earlier = columns.get(name);
    if (earlier !== undefined) {
      problems.push(
        `column ${name} appears twice (cells ${cellAddress(1, earlier)} and ${cell.address})`,
      );
      continue;
    }
    columns.set(name, column);
  }
  const missing = REQUIRED_COLUMNS.filter((name) => !columns.has(name));
  if (missing.length > 0) {
    problems.push(`missing column${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
  }
  if (problems.length > 0) {
    throw new InvalidInputError(`${displayName}: header row 1: ${problems.join('; ')}`);
  }
  return columns;
}

function readLabelsSheet(sheet: ExcelJS.Worksheet, problems: ProblemList): string[] | undefined {
  const labels: string[] = [];
  const rowOf = new Map<string, number>();
  sheet.eachRow((row, rowNumber) => {
    const text = cellText(row.getCell(1));
    if (typeof text !== 'string') {
      problems.add(rowNumber, `${LABELS_SHEET_NAME} sheet: ${text.problem}`);
      return;
    }
    const label = text.trim();
    if (label === '') return;
    if (rowNumber === 1 && ['label', 'labels'].includes(label.toLowerCase())) return;
    if (label.includes(',')) {
      problems.add(rowNumber, `${LABELS_SHEET_NAME} sheet: label ${quote(label)} contains a comma`);
      return;
    }
    const earlier = rowOf.get(label);
    if (earlier !== undefined) {
      problems.add(
        rowNumber,
        `${LABELS_SHEET_NAME} sheet: label ${quote(label)} repeats row ${earlier}`,
      );
      return;
    }
    rowOf.set(label, rowNumber);
    labels.push(label);
  });
  if (labels.length === 0) problems.add(1, `${LABELS_SHEET_NAME} sheet lists no labels`);
  return labels;
}

function readRows(
  sheet: ExcelJS.Worksheet,
  columns: Map<ColumnName, number>,
  problems: ProblemList,
): ParsedRow[] {
  const parsed: ParsedRow[] = [];
  const rowOfId = new Map<string, number>();
  sheet.eachRow((row, rowNumber) => {
    if (rowNumber === 1) return;
    let valid = true;
    const field = (name: ColumnName): string | undefined => {
      const column = columns.get(name);
      if (column === undefined) return undefined;
      const text = cellText(row.getCell(column));
      if (typeof text === 'string') return text.trim();
      problems.add(rowNumber, `column ${name}: ${text.problem}`);
      valid = false;
      return '';
    };
    const id = field('id')!;
    const splitText = field('split')!;
    const targetText = field('target')!;
    const targetClass = field('target_class');
    if (!valid) return;

    const idProblem = checkId(id);
    if (idProblem !== undefined) {
      problems.add(rowNumber, `column id: ${idProblem}`);
      valid = false;
    } else {
      const earlier = rowOfId.get(id);
      if (earlier !== undefined) {
        problems.add(rowNumber, `column id: ${quote(id)} repeats row ${earlier}`);
        valid = false;
      } else {
        rowOfId.set(id, rowNumber);
      }
    }

    const split = splitText.toLowerCase();
    if (split !== 'train' && split !== 'test') {
      const shown = splitText === '' ? 'an empty split' : `unknown split ${quote(splitText)}`;
      problems.add(rowNumber, `column split: ${shown} (expected train or test)`);
      valid = false;
    }

    const labels = [...new Set(targetText.split(',').map((label) => label.trim()))].filter(
      (label) => label !== '',
    );
    if (labels.length === 0) {
      problems.add(rowNumber, 'column target: the target is empty');
      valid = false;
    }

    if (valid) {
      const entry: ParsedRow = { row: rowNumber, id, split: split as Split, labels };
      if (targetClass !== undefined) entry.targetClass = targetClass;
      parsed.push(entry);
    }
  });
  return parsed;
}

/** Why an id cannot name a file inside the image folder, or undefined when it can. */
function checkId(id: string): string | undefined {
  if (id === '') return 'the id is empty';
  if (id.includes('\0')) return 'the id contains a NUL byte';
  if (path.isAbsolute(id) || /^[A-Za-z]:|^\\/.test(id))
    return `id ${quote(id)} is an absolute path`;
  if (id.split(/[\\/]/).includes('..')) return `id ${quote(id)} contains a '..' segment`;
  return undefined;
}

function checkTargetClass(entry: ParsedRow, labelNames: string[], problems: ProblemList): void {
  const text = entry.targetClass!.replace(/^\[|\]$/g, '').trim();
  const entries = text === '' ? [] : text.split(/[\s,]+/);
  if (entries.length !== labelNames.length || entries.some((bit) => bit !== '0' && bit !== '1')) {
    problems.add(
      entry.row,
      `column target_class: expected ${labelNames.length} comma-separated 0/1 values, ` +
        `got ${quote(entry.targetClass!)}`,
    );
    return;
  }
  const fromVector = labelNames.filter((_, index) => entries[index] === '1');
  const fromTarget = new Set(entry.labels);
  if (fromVector.length !== fromTarget.size || fromVector.some((label) => !fromTarget.has(label))) {
    problems.add(
      entry.row,
      `column target_class marks ${fromVector.map(quote).join(', ') || 'no label'} ` +
        `but target lists ${entry.labels.map(quote).join(', ')}`,
    );
  }
}

function sortedLabels(rows: readonly ParsedRow[]): string[] {
  const labels = new Set<string>();
  for (const row of rows) for (const label of row.labels) labels.add(label);
  // Code-unit order, not localeCompare, so the order does not depend on the server's locale.
  return [...labels].sort();
}

/** A cell's text, or why the cell cannot be read as text (naming the cell). */
function cellText(cell: ExcelJS.Cell): string | { problem: string } {
  const value: unknown = cell.value;
  switch (cell.type) {
    case ExcelJS.ValueType.Null:
      return '';
    case ExcelJS.ValueType.String:
    case ExcelJS.ValueType.SharedString:
      return String(value);
    case ExcelJS.ValueType.Number:
      return String(value);
    case ExcelJS.ValueType.Formula: {
      const result: unknown = cell.result;
      if (typeof result === 'string') return result;
      return {
        problem: `cell ${cell.address} holds a formula without a text result; paste it as text`,
      };
    }
    case ExcelJS.ValueType.Merge:
      return { problem: `cell ${cell.address} is merged` };
    case ExcelJS.ValueType.RichText:
      return { problem: `cell ${cell.address} holds rich text; clear its formatting` };
    case ExcelJS.ValueType.Error:
      return { problem: `cell ${cell.address} holds an error value` };
    case ExcelJS.ValueType.Date:
      return { problem: `cell ${cell.address} holds a date, not text` };
    case ExcelJS.ValueType.Boolean:
      return { problem: `cell ${cell.address} holds a boolean, not text` };
    case ExcelJS.ValueType.Hyperlink:
      return { problem: `cell ${cell.address} holds a hyperlink, not plain text` };
    default:
      return { problem: `cell ${cell.address} holds a value that is not text` };
  }
}

function cellAddress(row: number, column: number): string {
  let letters = '';
  for (let rest = column; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  }
  return `${letters}${row}`;
}

/** A value quoted for a message, shortened so that one huge cell cannot swamp the message. */
function quote(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return JSON.stringify(shown);
}
