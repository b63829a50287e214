import { stripVTControlCharacters } from 'node:util';
import { createColors } from 'picocolors';
import { describe, expect, test } from 'vitest';
import { renderTable } from './table.js';

describe('renderTable', () => {
  test('aligns columns by their visible width, colours or not; the last column is not padded', () => {
    const colours = createColors(true);
    const table = renderTable(
      [{ heading: 'SEQ', align: 'right' }, { heading: 'STATE' }, { heading: 'NOTE' }],
      [
        ['1', colours.green('applied'), 'x'],
        ['100', 'pending', ''],
      ],
    );
    const plain = stripVTControlCharacters(table);
    expect(plain.split('\n')).toEqual([
      'SEQ  STATE    NOTE',
      '───  ───────  ────',
      '  1  applied  x',
      '100  pending',
    ]);
  });
});
