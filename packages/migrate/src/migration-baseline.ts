import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MigrationDirectoryError, MigrationFileError } from './migration-errors.js';
import { migrationChecksum, readMigrationDirectory } from './migration-file.js';
import { migrationSeq } from './migration-target.js';

/** The baseline file's name, in the migrations directory (a dotfile, so never a migration). */
export const BASELINE_FILE_NAME = '.strata-baseline';

/** One migration the baseline adopts: its file name and the sha256 of its bytes when adopted. */
export interface BaselineEntry {
  fileName: string;
  checksum: string;
}

/** The migrations that predate Strata's linter, as `.strata-baseline` lists them. */
export interface MigrationBaseline {
  /** Absolute path of the baseline file. */
  path: string;
  entries: BaselineEntry[];
}

/** What `baselineMigrations` recorded. */
export interface BaselineReport {
  path: string;
  /** Every file the baseline adopts now, in seq order. */
  files: string[];
  /** The files this call added (or whose checksum it renewed). */
  added: string[];
}

const HEADER = `# Migrations that predate Strata's linter, adopted with \`strata migrate baseline\`.
# \`migrate up\` and \`migrate lint\` do not report lint findings in these files while their
# sha256 matches (a changed file is judged again); they still run, in order, on a fresh
# database. Commit this file with the migrations. Format: <sha256>  <file name>.
`;

const ENTRY = /^([0-9a-f]{64}) {2}(\S+)$/;

/**
 * Reads `<directory>/.strata-baseline`, or returns undefined when there is none. A line that
 * is neither a `#` comment nor `<sha256>  <file name>` throws `MigrationFileError` with its line.
 */
export async function readMigrationBaseline(directory: string): Promise<MigrationBaseline | undefined> {
  const file = path.resolve(directory, BASELINE_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw new MigrationDirectoryError(directory, `its ${BASELINE_FILE_NAME} cannot be read`, {
      cause: error,
    });
  }
  const entries: BaselineEntry[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const match = ENTRY.exec(line.trim());
    if (!match?.[1] || !match[2]) {
      throw new MigrationFileError(
        BASELINE_FILE_NAME,
        'expected "<sha256>  <file name>" (write the file with `strata migrate baseline`)',
        { line: index + 1 },
      );
    }
    entries.push({ checksum: match[1], fileName: match[2] });
  });
  return { path: file, entries };
}

/**
 * The files of `directory` its baseline adopts: listed in `.strata-baseline` and unchanged
 * since (same sha256). Empty when there is no baseline.
 */
export async function baselinedFiles(directory: string): Promise<Set<string>> {
  const baseline = await readMigrationBaseline(directory);
  const adopted = new Set<string>();
  for (const entry of baseline?.entries ?? []) {
    try {
      const bytes = await readFile(path.resolve(directory, entry.fileName));
      if (migrationChecksum(bytes) === entry.checksum) adopted.add(entry.fileName);
    } catch {
      // A listed file that is gone adopts nothing.
    }
  }
  return adopted;
}

/** Options of `baselineMigrations`. */
export interface BaselineOptions {
  /** The migrations directory. */
  directory: string;
  /** Adopt the migrations up to this one (a seq, or a migration or file name); default: all. */
  through?: number | string | undefined;
}

/**
 * Adopts an existing history: writes `<directory>/.strata-baseline`, listing each migration
 * (up to `through`) with its sha256. The linter then leaves those files alone — `up` applies
 * them on a fresh database without waivers — while files added later, or a listed file that
 * changes, are judged as usual. Entries already in the baseline are kept. Needs no database.
 */
export async function baselineMigrations(options: BaselineOptions): Promise<BaselineReport> {
  const directory = path.resolve(options.directory);
  const files = await readMigrationDirectory(directory);
  const last =
    options.through === undefined
      ? Number.POSITIVE_INFINITY
      : migrationSeq(options.through, files, { config: 'baseline', path: 'through' });
  const existing = (await readMigrationBaseline(directory))?.entries ?? [];
  const entries = new Map(existing.map((entry) => [entry.fileName, entry.checksum]));
  const added: string[] = [];
  for (const file of files) {
    if (file.seq > last || entries.get(file.fileName) === file.checksum) continue;
    entries.set(file.fileName, file.checksum);
    added.push(file.fileName);
  }
  const order = new Map(files.map((file, index) => [file.fileName, index]));
  const sorted = [...entries].sort(
    ([a], [b]) =>
      (order.get(a) ?? Number.MAX_SAFE_INTEGER) - (order.get(b) ?? Number.MAX_SAFE_INTEGER) ||
      a.localeCompare(b),
  );
  const file = path.resolve(directory, BASELINE_FILE_NAME);
  await writeFile(file, `${HEADER}${sorted.map(([name, checksum]) => `${checksum}  ${name}\n`).join('')}`);
  return { path: file, files: sorted.map(([name]) => name), added };
}
