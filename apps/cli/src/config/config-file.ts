import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigFileError } from '../cli-errors.js';
import { isTypeScriptFile, registerTypeScriptLoader } from '../typescript-loader.js';

/** The names `strata` looks for in the working directory, in this order. */
export const CONFIG_FILE_NAMES = [
  'strata.config.ts',
  'strata.config.mts',
  'strata.config.mjs',
  'strata.config.js',
  'strata.config.json',
] as const;

/** A loaded config file: where it is and what it exports (validated later, with the other layers). */
export interface ConfigFile {
  path: string;
  values: Record<string, unknown>;
}

/**
 * Finds the config file: `explicit` (from `--config` or `STRATA_CONFIG`) when given, which
 * must exist; else the one `strata.config.*` in `cwd`. Two candidates are an error rather
 * than a silent pick.
 */
export function findConfigFile(cwd: string, explicit: string | undefined): string | undefined {
  if (explicit !== undefined) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) throw new ConfigFileError(file, 'does not exist');
    return file;
  }
  const found = CONFIG_FILE_NAMES.map((name) => path.join(cwd, name)).filter((file) => existsSync(file));
  if (found.length > 1) {
    throw new ConfigFileError(
      found.map((file) => path.basename(file)).join(' and '),
      'more than one config file; keep one, or choose with --config',
    );
  }
  return found[0];
}

/**
 * Loads a config file: `.json` is parsed; `.js`/`.mjs` are imported and `.ts`/`.mts` too,
 * through tsx's loader. A module's default export must be the config object (or a function,
 * possibly async, returning it).
 */
export async function loadConfigFile(file: string): Promise<ConfigFile> {
  let values: unknown;
  if (file.endsWith('.json')) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigFileError(file, 'cannot be read', { cause: error });
    }
    try {
      values = JSON.parse(text);
    } catch (error) {
      throw new ConfigFileError(file, `is not valid JSON (${(error as Error).message})`, { cause: error });
    }
  } else {
    if (isTypeScriptFile(file)) await registerTypeScriptLoader();
    let loaded: { default?: unknown };
    try {
      loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (error) {
      throw new ConfigFileError(file, `cannot be loaded: ${(error as Error).message}`, { cause: error });
    }
    values = typeof loaded.default === 'function' ? await loaded.default() : loaded.default;
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new ConfigFileError(
      file,
      file.endsWith('.json')
        ? 'must hold a JSON object, e.g. { "migrationsDir": "db/migrations" }'
        : 'must `export default` a config object, e.g. export default { migrationsDir: "db/migrations" }',
    );
  }
  return { path: file, values: values as Record<string, unknown> };
}
