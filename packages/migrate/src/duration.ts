import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)\s*$/;

/**
 * Reads a duration given as milliseconds (a number) or text with a unit: `500ms`, `5s`,
 * `10min`, `1h`. Returns undefined for anything else, so the caller can name the bad field.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value);
  if (!match?.[1] || !match[2]) return undefined;
  return Math.round(Number.parseFloat(match[1]) * (UNITS[match[2]] ?? Number.NaN));
}

/** The same duration as PostgreSQL setting text, e.g. `5000ms`. */
export function toPostgresDuration(milliseconds: number): string {
  return `${milliseconds}ms`;
}

/**
 * A zod field for a duration option: milliseconds or text with a unit, `fallback` when
 * omitted, parsed to milliseconds; anything else is an issue naming the field.
 */
export function durationSchema(fallback: number) {
  return durationValueSchema().default(fallback);
}

/** Like `durationSchema`, without a default (add `.optional()` for a field that may be left out). */
export function durationValueSchema() {
  return z.union([z.number(), z.string()]).transform((value, context) => {
    const milliseconds = parseDuration(value);
    if (milliseconds === undefined) {
      context.addIssue({
        code: 'custom',
        message: 'must be milliseconds (a number) or a duration such as 500ms, 5s, 10min, 1h',
      });
      return z.NEVER;
    }
    return milliseconds;
  });
}
