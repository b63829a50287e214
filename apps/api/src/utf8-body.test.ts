import { describe, expect, test } from 'vitest';
import { decodeUtf8Body, INVALID_BYTE_MARK } from './utf8-body.js';

const bytes = (...values: number[]) => Buffer.from(values);

describe('decodeUtf8Body', () => {
  test('decodes UTF-8 exactly, BOM kept', () => {
    const text = '{"name":"Zoë 😀 ✓"}';
    expect(decodeUtf8Body(Buffer.from(text))).toBe(text);
    expect(decodeUtf8Body(bytes(0xef, 0xbb, 0xbf, 0x7b, 0x7d))).toBe('\ufeff{}');
  });

  test('marks every byte that is not UTF-8 with an unpaired surrogate, keeping the rest', () => {
    const cases: [Buffer, string][] = [
      [bytes(0x61, 0xff, 0x62), `a${INVALID_BYTE_MARK}b`],
      [bytes(0xc0, 0xaf), INVALID_BYTE_MARK.repeat(2)], // overlong "/"
      [bytes(0xed, 0xa0, 0x80), INVALID_BYTE_MARK.repeat(3)], // an encoded surrogate (CESU-8)
      [bytes(0xf4, 0x90, 0x80, 0x80), INVALID_BYTE_MARK.repeat(4)], // above U+10FFFF
      [bytes(0xe2, 0x82), INVALID_BYTE_MARK.repeat(2)], // truncated "€"
      [bytes(0xe2, 0x82, 0xac, 0x80), `€${INVALID_BYTE_MARK}`],
    ];
    for (const [input, expected] of cases) expect(decodeUtf8Body(input)).toBe(expected);
  });
});
