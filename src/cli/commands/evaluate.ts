/**
 * `labelwise evaluate`: starts an Evaluate job, follows it and can write the per-label table as a
 * workbook and a chart on the caller's machine.
 */
import path from 'node:path';
import {
  booleanOption,
  numberOption,
  requiredStringOption,
  stringOption,
} from '../command-line.js';
import { EXIT_OK } from '../exit-codes.js';
import { DATA_SET_OPTIONS, jobCommand, setIfDefined } from '../job-command.js';
import { UsageError } from '../usage-error.js';

/** The `evaluate` subcommand. */
export const evaluateCommand = jobCommand({
  name: 'evaluate',
  method: 'Evaluate',
  description: `
Starts an evaluation job, follows it, and prints F1 (micro, macro, samples), precision, recall,
mean average precision and the per-label table. Manifest and image paths are relative to the
server's data directory; --report and --chart are written on this machine.

The chart shows per-label F1 and support as bars, and F1 micro and macro against one threshold
shared by every label (0.05 to 0.95), with the default 0.2 marked.`,
  options: {
    ...DATA_SET_OPTIONS,
    split: {
      type: 'string',
      valueName: 'NAME',
      description: 'rows of this split',
      defaultText: 'test',
    },
    'model-version': {
      type: 'string',
      valueName: 'V',
      description: 'model to measure',
      defaultText: 'the active one',
    },
    threshold: {
      type: 'string',
      valueName: 'X',
      description: "one threshold for every label instead of the model's",
    },
    report: {
      type: 'string',
      valueName: 'FILE.xlsx',
      description: 'write the summary and per-label table as a workbook',
    },
    chart: {
      type: 'string',
      valueName: 'FILE.png',
      description: 'write per-label F1, support and the threshold curve as a PNG',
    },
  },
  buildRequest(values) {
    const request: Record<string, unknown> = {
      manifest: requiredStringOption(values, 'manifest'),
      imageDir: requiredStringOption(values, 'image-dir'),
    };
    setIfDefined(request, 'split', stringOption(values, 'split'));
    setIfDefined(request, 'modelVersion', stringOption(values, 'model-version'));
    setIfDefined(request, 'threshold', numberOption(values, 'threshold', { min: 0, max: 1 }));
    return request;
  },
  validate({ values }) {
    const report = stringOption(values, 'report');
    const chart = stringOption(values, 'chart');
    if ((report !== undefined || chart !== undefined) && booleanOption(values, 'detach')) {
      throw new UsageError('--report and --chart need the result: leave out --detach');
    }
    if (report !== undefined && path.extname(report).toLowerCase() !== '.xlsx') {
      throw new UsageError(`--report must name an .xlsx file, got "${report}"`);
    }
    if (chart !== undefined && path.extname(chart).toLowerCase() !== '.png') {
      throw new UsageError(`--chart must name a .png file, got "${chart}"`);
    }
  },
  async afterSuccess(job, { values }) {
    const result = job.evaluate;
    if (!result) throw new Error(`job ${job.id} succeeded without an evaluation result`);
    const report = stringOption(values, 'report');
    const chart = stringOption(values, 'chart');
    // exceljs and sharp load only when a report is asked for; they add seconds to start-up.
    if (report !== undefined) {
      const { writeEvaluationWorkbook } = await import('../../reports/evaluation-workbook.js');
      await writeEvaluationWorkbook(report, result);
      process.stderr.write(`wrote ${report}\n`);
    }
    if (chart !== undefined) {
      const { writeEvaluationChart } = await import('../../reports/evaluation-chart.js');
      await writeEvaluationChart(chart, result);
      process.stderr.write(`wrote ${chart}\n`);
    }
    return EXIT_OK;
  },
});
