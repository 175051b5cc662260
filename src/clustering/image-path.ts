/**
 * Turns a manifest id into a file path, refusing ids that would escape the image folder (`..`,
 * absolute paths), so a manifest can never make a job read or write outside its data.
 */
import path from 'node:path';

import { InvalidInputError } from '../errors/domain-errors.js';

/**
 * The absolute path of image `id` inside `imageDir`.
 *
 * @throws InvalidInputError naming the id when it is empty, absolute or leaves the folder.
 */
export function resolveImagePath(imageDir: string, id: string): string {
  const root = path.resolve(imageDir);
  const resolved = path.resolve(root, id);
  const relative = path.relative(root, resolved);
  if (
    id === '' ||
    path.isAbsolute(id) ||
    relative === '' ||
    relative === '..' ||
    relative.startsWith(`..${path.sep}`)
  ) {
    throw new InvalidInputError(`image id '${id}' is not a file inside the image folder`);
  }
  return resolved;
}
