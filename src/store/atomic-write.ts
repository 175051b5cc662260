/**
 * Crash-safe file writes: the content goes to a temporary file in the same directory, is flushed
 * to disk, and is renamed over the final name, so a reader sees the old file or the new one, never
 * half of one.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** The temporary name a file is written under before it is renamed into place. */
export function temporaryPathFor(finalPath: string): string {
  const suffix = randomBytes(6).toString('hex');
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${suffix}.tmp`);
}

/** Flushes a directory entry so that a rename inside it survives a power loss. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `finalPath` atomically (temp file, fsync, rename, fsync of the directory). */
export async function writeFileAtomic(finalPath: string, data: string | Uint8Array): Promise<void> {
  const temporary = temporaryPathFor(finalPath);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, finalPath);
  } catch (caught) {
    await rm(temporary, { force: true });
    throw caught;
  }
  await fsyncDirectory(path.dirname(finalPath));
}
