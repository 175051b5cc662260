/**
 * The last check before a job writes a file a request named (a cluster assignment file, an
 * augmented manifest or image folder): the path has already been confined to the data directory by
 * `resolveDataPath`, but the data directory may contain the home directory or the job's own inputs,
 * and writing over those would destroy served models, job history or the data being read.
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { PermissionError } from '../errors/domain-errors.js';

/** What an output must not overwrite, and how to name it in messages. */
export interface OutputGuardOptions {
  /** The service's home directory: its model store and job store are off limits. */
  homeDir: string;
  /** The job's input files (manifest, assignment file), which it must not write over. */
  inputs: readonly string[];
  /** The request field the path came from, e.g. `output_manifest`; default `output`. */
  field?: string;
  /** The path as the caller gave it; default its base name. Never the absolute path. */
  shown?: string;
}

/**
 * Throws PermissionError when writing `outputPath` (a file or a folder) could overwrite the model
 * store, the job store, the home directory itself or one of `inputs`. Paths are compared by their
 * real locations, so links and `..` do not get around it, and existing files also by device and
 * inode, so a hard link to an input is caught as well.
 */
export async function assertWritableOutput(
  outputPath: string,
  options: OutputGuardOptions,
): Promise<void> {
  const shown = options.shown ?? path.basename(outputPath);
  const name = `${options.field ?? 'output'} ${JSON.stringify(shown)}`;
  const output = await realLocation(outputPath);
  const home = await realLocation(options.homeDir);

  const protectedPlaces: [string, string][] = [
    [path.join(home, 'models'), 'the model store'],
    [path.join(home, 'jobs'), 'the job store'],
  ];
  for (const [place, what] of protectedPlaces) {
    if (isInsideOrEqual(place, output))
      throw new PermissionError(`${name} would write into ${what}`);
  }
  if (output === home)
    throw new PermissionError(`${name} would overwrite the service's home directory`);

  const outputIdentity = await identityOf(outputPath);
  for (const input of options.inputs) {
    const sameFile =
      (await realLocation(input)) === output ||
      (outputIdentity !== undefined && outputIdentity === (await identityOf(input)));
    if (sameFile) throw new PermissionError(`${name} would overwrite one of the job's inputs`);
  }
}

function isInsideOrEqual(parent: string, candidate: string): boolean {
  const relative = path.relative(parent, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** `target`'s real path, resolving its nearest existing ancestor if it does not exist yet. */
async function realLocation(target: string): Promise<string> {
  let existing = path.resolve(target);
  const missing: string[] = [];
  for (;;) {
    try {
      await lstat(existing);
      break;
    } catch {
      const parent = path.dirname(existing);
      // Reached the root without finding anything: nothing to resolve.
      if (parent === existing) return path.resolve(target);
      missing.unshift(path.basename(existing));
      existing = parent;
    }
  }
  // A dangling link has no real path; compare its own location, which still catches exact matches.
  const real = await realpath(existing).catch(() => existing);
  return path.join(real, ...missing);
}

async function identityOf(target: string): Promise<string | undefined> {
  try {
    const status = await stat(target);
    return `${status.dev}:${status.ino}`;
  } catch {
    return undefined;
  }
}
