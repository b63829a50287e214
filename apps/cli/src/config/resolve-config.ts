import path from 'node:path';
import { type ConfigIssue, InvalidConfigError } from '@strata/errors';
import { type CliConfig, cliConfigSchema } from './cli-config.js';
import { findConfigFile, loadConfigFile } from './config-file.js';

/** Config values given as flags, under their config keys (`--dir` is `migrationsDir` or `seedsDir`). */
export interface ConfigFlags {
  config?: string | undefined;
  values: Record<string, unknown>;
  /** The flag each key came from, for error messages: `{ migrationsDir: '--dir' }`. */
  labels: Record<string, string>;
}

/** The environment variables the CLI reads, and the config key each one sets. */
export const CONFIG_ENVIRONMENT = {
  DATABASE_URL: 'databaseUrl',
  STRATA_MIGRATION_DATABASE_URL: 'migrationUrl',
  STRATA_MIGRATIONS_DIR: 'migrationsDir',
  STRATA_SEEDS_DIR: 'seedsDir',
  STRATA_DESIGN_FILE: 'designFile',
  STRATA_POOL_MAX: 'poolMax',
  STRATA_POOL_PGBOUNCER: 'pgbouncer',
  STRATA_POOL_PREPARED_STATEMENTS: 'preparedStatements',
} as const;

const PATH_KEYS = new Set(['migrationsDir', 'seedsDir', 'designFile']);

interface Layer {
  values: Record<string, unknown>;
  label: (key: string) => string;
}

/** The resolved configuration and where it came from. */
export interface ResolvedConfig {
  config: CliConfig;
  /** The config file read, if any. */
  file: string | undefined;
}

const resolvePaths = (values: Record<string, unknown>, base: string): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      PATH_KEYS.has(key) && typeof value === 'string' ? path.resolve(base, value) : value,
    ]),
  );

const defined = (values: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));

/**
 * Resolves the configuration from, in increasing precedence, the defaults, a config file
 * (`--config`, `STRATA_CONFIG`, or `strata.config.*` in `cwd`), the environment
 * (`CONFIG_ENVIRONMENT`) and the flags. Relative paths are resolved against the config
 * file's folder for values from the file, against `cwd` otherwise. Invalid values throw one
 * `InvalidConfigError` naming each bad setting where it was given (`--pool-max`,
 * `STRATA_POOL_MAX`, `strata.config.json: poolMax`); values are never echoed.
 */
export async function resolveConfig(input: {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  flags: ConfigFlags;
}): Promise<ResolvedConfig> {
  const { cwd, env, flags } = input;
  const filePath = findConfigFile(cwd, flags.config ?? (env.STRATA_CONFIG || undefined));
  const layers: Layer[] = [];
  if (filePath) {
    const file = await loadConfigFile(filePath);
    const name = path.basename(filePath);
    layers.push({
      values: resolvePaths(file.values, path.dirname(filePath)),
      label: (key) => `${name}: ${key}`,
    });
  }
  const fromEnv: Record<string, unknown> = {};
  const envNames: Record<string, string> = {};
  for (const [variable, key] of Object.entries(CONFIG_ENVIRONMENT)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    fromEnv[key] = value;
    envNames[key] = variable;
  }
  layers.push({ values: resolvePaths(fromEnv, cwd), label: (key) => envNames[key] ?? key });
  layers.push({
    values: resolvePaths(defined(flags.values), cwd),
    label: (key) => flags.labels[key] ?? key,
  });

  // Later layers win, key by key; `rehearsal` is merged one level down.
  const merged: Record<string, unknown> = {};
  const source = new Map<string, Layer>();
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      if (key === 'rehearsal' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const nested = (merged.rehearsal ?? {}) as Record<string, unknown>;
        for (const [inner, innerValue] of Object.entries(value)) {
          if (innerValue === undefined) continue;
          nested[inner] = innerValue;
          source.set(`rehearsal.${inner}`, layer);
        }
        merged.rehearsal = nested;
        continue;
      }
      merged[key] = value;
      source.set(key, layer);
    }
  }

  const parsed = cliConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issues: ConfigIssue[] = parsed.error.issues.flatMap((issue) => {
      const at = issue.path.map(String);
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => {
          const full = [...at, key].join('.');
          return { path: labelFor(full, source), message: 'unknown setting' };
        });
      }
      const key = at.join('.');
      return [{ path: labelFor(key, source), message: issue.message }];
    });
    throw new InvalidConfigError('strata', issues);
  }
  // Defaults are relative to the working directory, like flags.
  const config = parsed.data;
  config.migrationsDir = path.resolve(cwd, config.migrationsDir);
  config.seedsDir = path.resolve(cwd, config.seedsDir);
  if (config.designFile !== undefined) config.designFile = path.resolve(cwd, config.designFile);
  return { config, file: filePath };
}

function labelFor(key: string, source: ReadonlyMap<string, Layer>): string {
  const layer = source.get(key) ?? source.get(key.split('.')[0] ?? key);
  return layer ? layer.label(key) : key;
}
