/**
 * Why a string cannot be stored exactly as given: `nul` — it holds U+0000, which PostgreSQL
 * text never holds (the statement fails); `unpaired-surrogate` — it holds half of a UTF-16
 * surrogate pair (JSON's `"\ud800"`, or text decoded from bytes that were not UTF-8), which
 * the UTF-8 encoder silently replaces with U+FFFD (the write succeeds with other text).
 */
export type UnstorableTextReason = 'nul' | 'unpaired-surrogate';

/** A string inside a value that cannot be stored as given, and where it is. */
export interface UnstorableText {
  /** Keys and indexes from the value to the string (or to the object key that is the string). */
  path: readonly (string | number)[];
  reason: UnstorableTextReason;
}

/** What each reason means, for messages. */
export const UNSTORABLE_TEXT_PROBLEMS: Readonly<Record<UnstorableTextReason, string>> = {
  nul: 'contains the NUL character (U+0000), which PostgreSQL text cannot hold',
  'unpaired-surrogate':
    'is not well-formed Unicode: it holds an unpaired surrogate (such as "\\ud800", or bytes that were not UTF-8), which would be stored as U+FFFD',
};

// String.prototype.isWellFormed is ES2024 (Node 20 has it); the shared tsconfig's lib is ES2023.
type WellFormedCheck = { isWellFormed(): boolean };

/** The reason `text` cannot be stored as given, or undefined when it can. */
export function unstorableTextReason(text: string): UnstorableTextReason | undefined {
  if (text.includes('\0')) return 'nul';
  if (!(text as unknown as WellFormedCheck).isWellFormed()) return 'unpaired-surrogate';
  return undefined;
}

// Deeper than this, a value is not data a request or a row plausibly holds (and JSON.stringify
// of a cycle fails anyway): the walk stops rather than recursing without bound.
const MAX_DEPTH = 256;

/**
 * Every string in `value` that PostgreSQL would not store exactly as given — the value itself,
 * or strings (and object keys) inside arrays and plain objects, as in a json column or a parsed
 * request body — up to `limit` of them. Other objects (Dates, Buffers, query builder values)
 * are not looked into.
 */
export function findUnstorableText(value: unknown, limit = Number.POSITIVE_INFINITY): UnstorableText[] {
  const found: UnstorableText[] = [];
  const walk = (current: unknown, path: (string | number)[]): void => {
    if (found.length >= limit) return;
    if (typeof current === 'string') {
      const reason = unstorableTextReason(current);
      if (reason) found.push({ path: [...path], reason });
      return;
    }
    if (typeof current !== 'object' || current === null || path.length >= MAX_DEPTH) return;
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length && found.length < limit; index++) {
        path.push(index);
        walk(current[index], path);
        path.pop();
      }
      return;
    }
    const prototype = Object.getPrototypeOf(current);
    if (prototype !== Object.prototype && prototype !== null) return;
    for (const [key, item] of Object.entries(current)) {
      if (found.length >= limit) return;
      path.push(key);
      const reason = unstorableTextReason(key);
      if (reason) found.push({ path: [...path], reason });
      else walk(item, path);
      path.pop();
    }
  };
  walk(value, []);
  return found;
}
