import { type FlagsOf, option } from './cli-option.js';
import { databaseOptions } from './shared-options.js';

/** The options of `strata db create`. */
export const dbCreateOptions = [
  option('--if-not-exists', 'accept an existing one'),
  ...databaseOptions,
] as const;

export type DbCreateFlags = FlagsOf<typeof dbCreateOptions>;

/** The options of `strata db drop`. */
export const dbDropOptions = [
  option('--yes', 'really drop it'),
  option('--force', 'end its sessions first (DROP DATABASE ... WITH (FORCE))'),
  option('--if-exists', 'accept a missing one'),
  ...databaseOptions,
] as const;

export type DbDropFlags = FlagsOf<typeof dbDropOptions>;
