import { InvalidConfigError } from '@strata/errors';

/** A check of `up` that refuses a migration unless told, with a reason, to let it run. */
export type OverridableCheck = 'evidence' | 'out-of-order';

/**
 * A refusal that was overridden: which check refused, what it said, and the reason given for
 * running the migration anyway. The history keeps it beside the migration (`overrides`).
 */
export interface MigrationOverride {
  check: OverridableCheck;
  reason: string;
  /** The refusal that was overridden, as `up` would have reported it. */
  refused: string;
}

/**
 * Reasons to run what a check would refuse, one per check; each applies to every migration
 * that check refuses in this run and is recorded in the history next to it.
 */
export interface UpOverrides {
  /** Run contracts although statements recorded since the deploy mark still use what they drop. */
  evidence?: string | undefined;
  /** Run migrations whose seq is below an applied one of their scope (of the same or a later phase). */
  outOfOrder?: string | undefined;
}

/** The overrides each migration of a run gets, by migration name. */
export type OverridesByName = Map<string, MigrationOverride[]>;

/** Adds `override` to the migration's list. */
export function addOverride(overrides: OverridesByName, name: string, override: MigrationOverride): void {
  overrides.set(name, [...(overrides.get(name) ?? []), override]);
}

/**
 * Validates the override reasons of `up`: each given one must be a sentence someone can read
 * later (3–500 printable characters). Throws `InvalidConfigError` naming the option.
 */
export function parseOverrides(overrides: UpOverrides | undefined): UpOverrides {
  const issues: { path: string; message: string }[] = [];
  const read = (key: keyof UpOverrides): string | undefined => {
    const value = overrides?.[key];
    if (value === undefined) return undefined;
    const text = typeof value === 'string' ? value.trim() : '';
    if (text.length < 3 || text.length > 500 || /[\p{Cc}]/u.test(text)) {
      issues.push({
        path: `override.${key}`,
        message: 'must be a reason of 3 to 500 printable characters; it is recorded in the history',
      });
      return undefined;
    }
    return text;
  };
  const parsed = { evidence: read('evidence'), outOfOrder: read('outOfOrder') };
  if (issues.length > 0) throw new InvalidConfigError('up', issues);
  return parsed;
}
