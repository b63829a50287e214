import { describe, expect, it } from 'vitest';
import { copyChunks } from './copy-chunks.js';

const decode = (chunks: Iterable<Buffer>) => Buffer.concat([...chunks]).toString('utf8');

describe('copyChunks', () => {
  it('joins fields with tabs and rows with newlines, in UTF-8', () => {
    const rows = [
      ['1', 'plain', '\\N'],
      ['2', 'ünïcödé — 日本語 🎉', 'a\\tb'],
    ];
    const text = decode(
      copyChunks(rows.length, 3, (index, fields) => fields.splice(0, 3, ...(rows[index] ?? []))),
    );
    expect(text).toBe('1\tplain\t\\N\n2\tünïcödé — 日本語 🎉\ta\\tb\n');
  });

  it('splits into chunks of about 64 KiB without losing or reordering bytes', () => {
    const field = (index: number) => `row ${index} ${index % 3 === 0 ? 'é'.repeat(50) : 'x'.repeat(80)}`;
    const chunks = [
      ...copyChunks(5_000, 1, (index, fields) => {
        fields[0] = field(index);
      }),
    ];
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeLessThanOrEqual(64 * 1024);
    const expected = Array.from({ length: 5_000 }, (_, index) => `${field(index)}\n`).join('');
    expect(decode(chunks)).toBe(expected);
  });

  it('holds a single field larger than a chunk', () => {
    const huge = 'ü'.repeat(100_000);
    expect(
      decode(
        copyChunks(2, 1, (index, fields) => {
          fields[0] = index === 0 ? huge : 'small';
        }),
      ),
    ).toBe(`${huge}\nsmall\n`);
  });
});
