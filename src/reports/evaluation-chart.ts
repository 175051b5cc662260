/**
 * Draws an evaluation as a PNG: per-label F1 and support as grouped bars, and F1 micro and macro
 * against a threshold shared by every label (each label's tuned threshold instead when the result
 * has no curve). The SVG is written here by hand and rasterised by sharp (librsvg), so no chart
 * library or browser is needed.
 */
import sharp from 'sharp';
import type { EvaluateResultValue } from '../evaluation/evaluate-result.js';
import type { ThresholdPoint } from '../evaluation/threshold-curve.js';

const WIDTH_PX = 960;
const HEIGHT_PX = 440;
const PANEL_TOP_PX = 70;
const PANEL_HEIGHT_PX = 290;
const F1_COLOUR = '#3b6fb6';
const SUPPORT_COLOUR = '#e39b3a';
const THRESHOLD_COLOUR = '#4a9c5d';
const MACRO_COLOUR = '#b64a3b';

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escapeXml(content)}</text>`;
}

/** A 0-to-1 vertical axis with grid lines, for a panel starting at `left` of `width` pixels. */
function unitAxis(left: number, width: number): string {
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const y = PANEL_TOP_PX + PANEL_HEIGHT_PX * (1 - i / 4);
    parts.push(
      `<line x1="${left}" y1="${y}" x2="${left + width}" y2="${y}" stroke="#ddd"/>`,
      text(left - 6, y + 4, (i / 4).toFixed(2), 'text-anchor="end" font-size="11"'),
    );
  }
  return parts.join('');
}

/** Each label's decision threshold, tuned on validation data. */
function thresholdPanel(result: EvaluateResultValue, rightX: number, rightWidth: number): string[] {
  const labels = result.labels;
  const parts: string[] = [];
  const rightSlot = rightWidth / Math.max(1, labels.length);
  parts.push(text(rightX, PANEL_TOP_PX - 12, 'Per-label threshold', 'font-size="13"'));
  labels.forEach((label, index) => {
    const centre = rightX + rightSlot * (index + 0.5);
    const y = PANEL_TOP_PX + PANEL_HEIGHT_PX * (1 - Math.min(1, Math.max(0, label.threshold)));
    parts.push(
      `<line x1="${centre}" y1="${PANEL_TOP_PX + PANEL_HEIGHT_PX}" x2="${centre}" y2="${y}" ` +
        `stroke="${THRESHOLD_COLOUR}" stroke-width="2"/>`,
      `<circle cx="${centre}" cy="${y}" r="5" fill="${THRESHOLD_COLOUR}"/>`,
      text(
        centre,
        PANEL_TOP_PX + PANEL_HEIGHT_PX + 16,
        label.label,
        'text-anchor="middle" font-size="11"',
      ),
    );
  });
  return parts;
}

/** F1 micro and macro against one threshold for every label, with the default 0.2 marked. */
function curvePanel(result: EvaluateResultValue, left: number, width: number): string[] {
  const x = (threshold: number): number => left + width * threshold;
  const y = (f1: number): number =>
    PANEL_TOP_PX + PANEL_HEIGHT_PX * (1 - Math.min(1, Math.max(0, f1)));
  const line = (value: (point: ThresholdPoint) => number, colour: string): string =>
    `<polyline fill="none" stroke="${colour}" stroke-width="2" points="` +
    result.thresholdCurve
      .map((p) => `${x(p.threshold).toFixed(1)},${y(value(p)).toFixed(1)}`)
      .join(' ') +
    '"/>';
  const bottom = PANEL_TOP_PX + PANEL_HEIGHT_PX;
  return [
    text(left, PANEL_TOP_PX - 12, 'F1 against one threshold for all labels', 'font-size="13"'),
    `<line x1="${x(0.2)}" y1="${PANEL_TOP_PX}" x2="${x(0.2)}" y2="${bottom}" ` +
      'stroke="#999" stroke-dasharray="4 3"/>',
    line((p) => p.f1Micro, F1_COLOUR),
    line((p) => p.f1Macro, MACRO_COLOUR),
    ...[0, 0.5, 1].map((t) =>
      text(x(t), bottom + 16, t.toFixed(1), 'text-anchor="middle" font-size="11"'),
    ),
    text(
      left + width / 2,
      bottom + 30,
      'threshold (dashed: 0.2)',
      'text-anchor="middle" font-size="11"',
    ),
    `<rect x="${left}" y="${HEIGHT_PX - 36}" width="12" height="3" fill="${F1_COLOUR}"/>`,
    text(left + 18, HEIGHT_PX - 30, 'micro', 'font-size="12"'),
    `<rect x="${left + 80}" y="${HEIGHT_PX - 36}" width="12" height="3" fill="${MACRO_COLOUR}"/>`,
    text(left + 98, HEIGHT_PX - 30, 'macro', 'font-size="12"'),
  ];
}

/** The chart of `result` as an SVG document. */
export function renderEvaluationChartSvg(result: EvaluateResultValue): string {
  const labels = result.labels;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH_PX}" height="${HEIGHT_PX}" ` +
      `font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    text(
      20,
      28,
      `Model ${result.modelVersion}: ${result.images} images, F1 micro ` +
        `${result.f1Micro.toFixed(3)}, macro ${result.f1Macro.toFixed(3)}`,
      'font-size="16" font-weight="bold"',
    ),
  ];

  // Left panel: F1 on the 0-1 axis, support scaled to the largest support (right-hand axis).
  const leftX = 60;
  const leftWidth = 540;
  const maxSupport = Math.max(1, ...labels.map((l) => l.support));
  const slot = leftWidth / Math.max(1, labels.length);
  const barWidth = Math.min(40, slot * 0.35);
  parts.push(unitAxis(leftX, leftWidth));
  parts.push(text(leftX, PANEL_TOP_PX - 12, 'Per-label F1 and support', 'font-size="13"'));
  parts.push(
    text(leftX + leftWidth + 6, PANEL_TOP_PX + 4, String(maxSupport), 'font-size="11"'),
    text(leftX + leftWidth + 6, PANEL_TOP_PX + PANEL_HEIGHT_PX + 4, '0', 'font-size="11"'),
  );
  labels.forEach((label, index) => {
    const centre = leftX + slot * (index + 0.5);
    const f1Height = PANEL_HEIGHT_PX * Math.min(1, Math.max(0, label.f1));
    const supportHeight = PANEL_HEIGHT_PX * (label.support / maxSupport);
    const bottom = PANEL_TOP_PX + PANEL_HEIGHT_PX;
    parts.push(
      `<rect x="${centre - barWidth - 1}" y="${bottom - f1Height}" width="${barWidth}" ` +
        `height="${f1Height}" fill="${F1_COLOUR}"/>`,
      `<rect x="${centre + 1}" y="${bottom - supportHeight}" width="${barWidth}" ` +
        `height="${supportHeight}" fill="${SUPPORT_COLOUR}"/>`,
      text(centre, bottom + 16, label.label, 'text-anchor="middle" font-size="11"'),
    );
  });
  parts.push(
    `<rect x="${leftX}" y="${HEIGHT_PX - 36}" width="12" height="12" fill="${F1_COLOUR}"/>`,
    text(leftX + 18, HEIGHT_PX - 26, 'F1 (left axis)', 'font-size="12"'),
    `<rect x="${leftX + 140}" y="${HEIGHT_PX - 36}" width="12" height="12" ` +
      `fill="${SUPPORT_COLOUR}"/>`,
    text(leftX + 158, HEIGHT_PX - 26, 'support (right axis, images)', 'font-size="12"'),
  );

  const rightX = 680;
  const rightWidth = 250;
  parts.push(unitAxis(rightX, rightWidth));
  parts.push(
    ...(result.thresholdCurve.length > 0
      ? curvePanel(result, rightX, rightWidth)
      : thresholdPanel(result, rightX, rightWidth)),
  );

  parts.push('</svg>');
  return parts.join('\n');
}

/** Renders `result`'s chart and writes it to `filePath` as a PNG. */
export async function writeEvaluationChart(
  filePath: string,
  result: EvaluateResultValue,
): Promise<void> {
  await sharp(Buffer.from(renderEvaluationChartSvg(result)))
    .png()
    .toFile(filePath);
}
