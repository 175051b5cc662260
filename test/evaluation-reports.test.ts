import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import ExcelJS from 'exceljs';
import sharp from 'sharp';
import type { EvaluateResultValue } from '../src/evaluation/evaluate-result.js';
import { renderEvaluationChartSvg, writeEvaluationChart } from '../src/reports/evaluation-chart.js';
import { writeEvaluationWorkbook } from '../src/reports/evaluation-workbook.js';

const RESULT: EvaluateResultValue = {
  modelVersion: '3',
  images: 120,
  f1Micro: 0.81,
  f1Macro: 0.7,
  f1Samples: 0.8,
  precisionMicro: 0.85,
  precisionMacro: 0.75,
  recallMicro: 0.78,
  recallMacro: 0.66,
  meanAveragePrecision: 0.83,
  bceLoss: 0.21,
  labels: [
    {
      label: 'cat',
      support: 80,
      precision: 0.9,
      recall: 0.85,
      f1: 0.87,
      threshold: 0.4,
      averagePrecision: 0.92,
    },
    {
      label: 'dog & <friends>',
      support: 12,
      precision: 0.6,
      recall: 0.5,
      f1: 0.55,
      threshold: 0.25,
      averagePrecision: 0.6,
    },
  ],
  thresholdCurve: [
    { threshold: 0.1, f1Micro: 0.6, f1Macro: 0.5 },
    { threshold: 0.2, f1Micro: 0.75, f1Macro: 0.62 },
    { threshold: 0.5, f1Micro: 0.81, f1Macro: 0.7 },
  ],
};

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'labelwise-reports-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('the workbook holds the summary and one row per label', async (t) => {
  const file = path.join(await tempDir(t), 'report.xlsx');
  await writeEvaluationWorkbook(file, RESULT);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const summary = workbook.getWorksheet('Summary')!;
  t.is(summary.getRow(5).getCell(1).value, 'F1 macro');
  t.is(summary.getRow(5).getCell(2).value, 0.7);
  const labels = workbook.getWorksheet('Labels')!;
  t.deepEqual(labels.getRow(1).values, [
    undefined,
    'label',
    'support',
    'precision',
    'recall',
    'f1',
    'threshold',
    'average_precision',
  ]);
  t.deepEqual(labels.getRow(3).values, [
    undefined,
    'dog & <friends>',
    12,
    0.6,
    0.5,
    0.55,
    0.25,
    0.6,
  ]);
});

test('the chart is valid SVG with escaped label names and renders to a PNG', async (t) => {
  const svg = renderEvaluationChartSvg(RESULT);
  t.regex(svg, /dog &#38; &#60;friends&#62;/);
  t.notRegex(svg, /<friends>/);
  const file = path.join(await tempDir(t), 'chart.png');
  await writeEvaluationChart(file, RESULT);
  const metadata = await sharp(file).metadata();
  t.is(metadata.format, 'png');
  t.is(metadata.width, 960);
  t.is(metadata.height, 440);
  // Bars were drawn: the image is not one flat colour.
  const stats = await sharp(file).stats();
  t.true(stats.channels.some((channel) => channel.min < 200));
});

test('the chart draws the threshold curve, or the tuned thresholds when there is none', (t) => {
  t.regex(renderEvaluationChartSvg(RESULT), /<polyline[^>]*points="[\d., ]+"/);
  const withoutCurve = renderEvaluationChartSvg({ ...RESULT, thresholdCurve: [] });
  t.notRegex(withoutCurve, /<polyline/);
  t.regex(withoutCurve, /Per-label threshold/);
});

test('a result without labels still draws a chart', async (t) => {
  const file = path.join(await tempDir(t), 'empty.png');
  await writeEvaluationChart(file, { ...RESULT, labels: [] });
  t.is((await sharp(file).metadata()).format, 'png');
});
