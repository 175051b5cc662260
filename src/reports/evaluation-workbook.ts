/**
 * Writes an evaluation as an Excel workbook: a "Summary" sheet with the averaged figures and a
 * "Labels" sheet with the per-label table, ready for filtering and charting in a spreadsheet.
 */
import ExcelJS from 'exceljs';
import type { EvaluateResultValue } from '../evaluation/evaluate-result.js';

const SUMMARY_ROWS: readonly [string, keyof EvaluateResultValue][] = [
  ['model version', 'modelVersion'],
  ['images', 'images'],
  ['F1 micro', 'f1Micro'],
  ['F1 macro', 'f1Macro'],
  ['F1 samples', 'f1Samples'],
  ['precision micro', 'precisionMicro'],
  ['precision macro', 'precisionMacro'],
  ['recall micro', 'recallMicro'],
  ['recall macro', 'recallMacro'],
  ['mean average precision', 'meanAveragePrecision'],
  ['binary cross-entropy', 'bceLoss'],
];

/** Writes `result` to `filePath` (an .xlsx file), replacing any file there. */
export async function writeEvaluationWorkbook(
  filePath: string,
  result: EvaluateResultValue,
): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'labelwise';

  const summary = workbook.addWorksheet('Summary');
  summary.columns = [
    { header: 'metric', key: 'metric', width: 26 },
    { header: 'value', key: 'value', width: 14 },
  ];
  for (const [name, key] of SUMMARY_ROWS) summary.addRow({ metric: name, value: result[key] });

  const labels = workbook.addWorksheet('Labels');
  labels.columns = [
    { header: 'label', key: 'label', width: 20 },
    { header: 'support', key: 'support', width: 10 },
    { header: 'precision', key: 'precision', width: 11 },
    { header: 'recall', key: 'recall', width: 10 },
    { header: 'f1', key: 'f1', width: 10 },
    { header: 'threshold', key: 'threshold', width: 11 },
    { header: 'average_precision', key: 'averagePrecision', width: 18 },
  ];
  for (const label of result.labels) labels.addRow({ ...label });
  for (const sheet of [summary, labels]) {
    sheet.getRow(1).font = { bold: true };
    sheet.views = [{ state: 'frozen', ySplit: 1 }];
  }
  labels.autoFilter = { from: 'A1', to: 'G1' };

  await workbook.xlsx.writeFile(filePath);
}
