/**
 * The parts every data-set job request shares: a manifest and its image folder (resolved inside
 * the data directory), a split name, and output tables that must be workbooks or CSV files.
 */
import { InvalidInputError } from '../errors/domain-errors.js';
import type { Split } from './manifest-row.js';
import { resolveDataPath } from './safe-path.js';

/** A request's manifest and image folder as absolute, confined paths. */
export interface DataSetPaths {
  manifestPath: string;
  imageDir: string;
}

/**
 * Resolves `manifest` and `imageDir` (request fields `manifest` and `image_dir`) inside
 * `dataDir`; both must exist.
 */
export async function resolveDataSet(
  dataDir: string,
  request: { manifest: string; imageDir: string },
): Promise<DataSetPaths> {
  return {
    manifestPath: await resolveDataPath(dataDir, request.manifest, {
      mustExist: true,
      field: 'manifest',
    }),
    imageDir: await resolveDataPath(dataDir, request.imageDir, {
      mustExist: true,
      field: 'image_dir',
    }),
  };
}

/** `value` as a split, `fallback` when empty; InvalidInputError for anything else. */
export function parseSplit(value: string, fallback: Split): Split {
  const split = value || fallback;
  if (split !== 'train' && split !== 'test') {
    throw new InvalidInputError(`split must be "train" or "test", got "${split}"`);
  }
  return split;
}

/** Refuses an output table whose name does not end in .xlsx or .csv, naming `field`. */
export function checkTableName(field: string, value: string): void {
  if (!/\.(xlsx|csv)$/i.test(value)) {
    throw new InvalidInputError(`${field} "${value}" must end in .xlsx or .csv`);
  }
}
