/**
 * The shape of a data-set manifest once parsed, shared by training, evaluation, clustering and
 * augmentation. A manifest is a workbook or CSV with columns `id`, `split`, `target` and optionally
 * `target_class`.
 */

/** The splits a manifest row can belong to. */
export type Split = 'train' | 'test';

/** One image of a manifest. */
export interface ManifestRow {
  /** The 1-based row number in the file (the header is row 1), for error messages. */
  row: number;
  /** Image file name, relative to the image folder. */
  id: string;
  split: Split;
  /** Label names of the image, in the manifest's label order. */
  labels: string[];
}

/** A parsed manifest: its rows and the label order every 0/1 vector follows. */
export interface Manifest {
  rows: ManifestRow[];
  /** Label names in output order (sorted unless the file gives an order). */
  labelNames: string[];
}
