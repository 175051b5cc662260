/**
 * Converts manifest rows' label names into the 0/1 matrix and index sets training and
 * evaluation work with.
 */
import type { ManifestRow } from '../data/manifest-row.js';

/** `rows.length` x `labelNames.length` targets, row-major, 1 where the row has the label. */
export function labelMatrix(
  rows: readonly ManifestRow[],
  labelNames: readonly string[],
): Uint8Array {
  const index = new Map(labelNames.map((name, i) => [name, i]));
  const targets = new Uint8Array(rows.length * labelNames.length);
  rows.forEach((row, r) => {
    for (const label of row.labels) {
      const column = index.get(label);
      if (column !== undefined) targets[r * labelNames.length + column] = 1;
    }
  });
  return targets;
}

/** The label indices of each row, for stratified splitting. */
export function labelIndexSets(
  rows: readonly ManifestRow[],
  labelNames: readonly string[],
): number[][] {
  const index = new Map(labelNames.map((name, i) => [name, i]));
  return rows.map((row) =>
    row.labels.map((label) => index.get(label)).filter((i): i is number => i !== undefined),
  );
}

/** The rows of `targets` at `indices`, as a new matrix. */
export function selectRows(
  targets: Uint8Array,
  labelCount: number,
  indices: readonly number[],
): Uint8Array {
  const selected = new Uint8Array(indices.length * labelCount);
  indices.forEach((row, i) =>
    selected.set(targets.subarray(row * labelCount, (row + 1) * labelCount), i * labelCount),
  );
  return selected;
}
