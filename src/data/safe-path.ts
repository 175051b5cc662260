/**
 * Resolution of file paths that arrive in requests (manifests, image folders, outputs) so that they
 * can only name files inside the data directory, also through symbolic links. Error messages show
 * the path as the caller gave it, never the resolved absolute path.
 */
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

import { InvalidInputError, NotFoundError, PermissionError } from '../errors/domain-errors.js';

/** How `resolveDataPath` treats the requested path. */
export interface DataPathOptions {
  /** True for inputs (a missing file is NotFoundError); false for outputs not yet written. */
  mustExist: boolean;
  /** The request field the path came from, for error messages (e.g. `manifest_path`). */
  field: string;
}

/**
 * Resolves `requested`, a path relative to `dataDir`, to an absolute path whose real location is
 * inside the real `dataDir`.
 *
 * Refuses with InvalidInputError an empty path or one holding a NUL byte, and with PermissionError
 * an absolute path, one whose `..` segments climb out of the data directory, and one that leaves it
 * through a symbolic link (checked on the real path of the file, or for a file that does not exist
 * yet, of its nearest existing parent; a dangling link is refused as well, since writing through
 * it would create its target). A missing file is NotFoundError when `mustExist` is set.
 *
 * Existing paths are returned as their real path, so later opens do not follow a link swapped in
 * meanwhile at a checked name; a link swapped into a directory after the check is not guarded
 * against.
 */
export async function resolveDataPath(
  dataDir: string,
  requested: string,
  options: DataPathOptions,
): Promise<string> {
  const { field, mustExist } = options;
  const shown = JSON.stringify(requested);
  if (requested === '') throw new InvalidInputError(`${field} is empty`);
  if (requested.includes('\0')) throw new InvalidInputError(`${field} contains a NUL byte`);
  if (path.isAbsolute(requested) || /^[A-Za-z]:/.test(requested)) {
    throw new PermissionError(`${field} ${shown} must be relative to the data directory`);
  }

  const root = await realpath(dataDir);
  const lexical = path.resolve(root, requested);
  if (!isInside(root, lexical)) {
    throw new PermissionError(`${field} ${shown} leaves the data directory`);
  }

  // Walk up from the requested path to the nearest part that exists.
  let existing = lexical;
  const missingParts: string[] = [];
  for (;;) {
    const status = await lstatOrUndefined(existing, field, shown);
    if (status !== undefined) break;
    missingParts.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  if (missingParts.length > 0 && mustExist) {
    throw new NotFoundError(`${field} ${shown} does not exist`);
  }

  const real = await realpathOrRefuse(existing, field, shown);
  if (!isInside(root, real)) {
    throw new PermissionError(`${field} ${shown} leaves the data directory through a link`);
  }
  return path.join(real, ...missingParts);
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative === '' ||
    (!relative.startsWith('..' + path.sep) && relative !== '..' && !path.isAbsolute(relative))
  );
}

async function lstatOrUndefined(
  target: string,
  field: string,
  shown: string,
): Promise<object | undefined> {
  try {
    return await lstat(target);
  } catch (caught) {
    const code = (caught as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a regular file; the path cannot exist, and the walk finds that file.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw refusal(code, field, shown);
  }
}

async function realpathOrRefuse(target: string, field: string, shown: string): Promise<string> {
  try {
    return await realpath(target);
  } catch (caught) {
    const code = (caught as NodeJS.ErrnoException).code;
    // The name exists (lstat saw it) but does not resolve: a dangling or looping link.
    if (code === 'ENOENT' || code === 'ELOOP') {
      throw new PermissionError(`${field} ${shown} goes through a broken symbolic link`);
    }
    throw refusal(code, field, shown);
  }
}

function refusal(code: string | undefined, field: string, shown: string): Error {
  if (code === 'EACCES' || code === 'EPERM') {
    return new PermissionError(`${field} ${shown} is not accessible`);
  }
  return new InvalidInputError(`${field} ${shown} cannot be resolved (${code ?? 'unknown error'})`);
}
