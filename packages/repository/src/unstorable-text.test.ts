import { describe, expect, it } from 'vitest';
import { findUnstorableText, unstorableTextReason } from './unstorable-text.js';

describe('unstorable text', () => {
  it('is text with a NUL or an unpaired surrogate; paired surrogates (emoji) are fine', () => {
    expect(unstorableTextReason('a\0b')).toBe('nul');
    expect(unstorableTextReason('\ud800')).toBe('unpaired-surrogate');
    expect(unstorableTextReason('x\udfffy')).toBe('unpaired-surrogate');
    expect(unstorableTextReason('😀 ✓ \ufffd')).toBeUndefined();
  });

  it('is found inside arrays and plain objects, keys included, with its path', () => {
    const value = { ok: 'fine', list: ['a', 'b\0'], nested: { 'k\ud800': 1, deep: [{ x: '\udc00' }] } };
    expect(findUnstorableText(value)).toEqual([
      { path: ['list', 1], reason: 'nul' },
      { path: ['nested', 'k\ud800'], reason: 'unpaired-surrogate' },
      { path: ['nested', 'deep', 0, 'x'], reason: 'unpaired-surrogate' },
    ]);
    expect(findUnstorableText(value, 1)).toHaveLength(1);
  });

  it('does not look into Dates, Buffers or other class instances', () => {
    expect(
      findUnstorableText([
        new Date(),
        Buffer.from([0]),
        new (class {
          s = '\0';
        })(),
      ]),
    ).toEqual([]);
  });
});
