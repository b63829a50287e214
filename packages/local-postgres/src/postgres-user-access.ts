import { stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The first folder above `target` that users other than its owner may not enter (no `o+x`),
 * or undefined when there is none. As root, PostgreSQL runs as the "postgres" user, which must
 * walk to both its data and its binaries. Folders that do not exist yet are skipped.
 */
export async function folderClosedToOthers(target: string): Promise<string | undefined> {
  for (let dir = path.dirname(path.resolve(target)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = await stat(dir).then(
      (info) => info.mode,
      () => undefined,
    );
    if (mode !== undefined && (mode & 0o001) === 0) return dir;
  }
  return undefined;
}
