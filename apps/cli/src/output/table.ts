import { stripVTControlCharacters } from 'node:util';

/** A column of `renderTable`: its heading and, optionally, right alignment for numbers. */
export interface TableColumn {
  heading: string;
  align?: 'left' | 'right';
}

const visibleLength = (text: string): number => stripVTControlCharacters(text).length;

const pad = (text: string, width: number, align: 'left' | 'right'): string => {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(text)));
  return align === 'right' ? fill + text : text + fill;
};

/**
 * Renders rows as an aligned plain-text table: a heading line (passed through `heading`, e.g.
 * bold), a rule, then one line per row. Widths ignore colour codes. The last column is not
 * padded, so a long note does not push every line wide.
 */
export function renderTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly string[])[],
  heading: (text: string) => string = (text) => text,
): string {
  const widths = columns.map((column, index) =>
    Math.max(visibleLength(column.heading), ...rows.map((row) => visibleLength(row[index] ?? ''))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, index) =>
        index === columns.length - 1 && columns[index]?.align !== 'right'
          ? cell
          : pad(cell, widths[index] ?? 0, columns[index]?.align ?? 'left'),
      )
      .join('  ')
      .trimEnd();
  const head = line(columns.map((column) => column.heading));
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [heading(head), rule, ...rows.map(line)].join('\n');
}
