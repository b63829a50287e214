import { describe, expect, test } from 'vitest';
import {
  compareBranchMigrations,
  renameMigrationReferences,
  renumberBranchMigrations,
} from './branch-migrations.js';

const base = [
  '001_billing_expand_add_currency.sql',
  '002_billing_backfill_currency.ts',
  '003_billing_validate_currency.sql',
  '004_search_expand_add_index.sql',
  'README.md',
];

describe('compareBranchMigrations', () => {
  test('a branch whose new files follow the base has nothing to report', () => {
    const comparison = compareBranchMigrations({
      base,
      branch: [...base, '005_orders_expand_add_note.sql', '006_orders_backfill_note.sql'],
    });
    expect(comparison).toEqual({
      added: ['005_orders_expand_add_note.sql', '006_orders_backfill_note.sql'],
      baseLastSeq: 4,
      findings: [],
    });
  });

  test('two branches that each took the next seq collide on it', () => {
    const main = [...base, '005_search_validate_index.sql'];
    const { findings } = compareBranchMigrations({
      base: main,
      branch: [...base, '005_orders_expand_add_note.sql'],
      forkPoint: base,
    });
    expect(findings).toEqual([
      {
        kind: 'duplicate-seq',
        fileName: '005_orders_expand_add_note.sql',
        other: '005_search_validate_index.sql',
        message: expect.stringContaining(
          'takes seq 5, which 005_search_validate_index.sql (on the base) has',
        ),
      },
    ]);
    // `0005` is the same seq as `005`.
    expect(
      compareBranchMigrations({ base: main, branch: [...base, '0005_orders_expand_x.sql'] }).findings[0]
        ?.kind,
    ).toBe('duplicate-seq');
  });

  test('a new file that sorts before files already on the base would run out of order', () => {
    // The base skipped 005 (a migration was removed before it shipped); the branch took it.
    const main = [...base, '006_search_contract_drop_old.sql'];
    const { findings } = compareBranchMigrations({
      base: main,
      branch: [...base, '005_orders_expand_add_note.sql'],
    });
    expect(findings).toEqual([
      expect.objectContaining({
        kind: 'before-base',
        fileName: '005_orders_expand_add_note.sql',
        other: '006_search_contract_drop_old.sql',
      }),
    ]);
  });

  test('the merge may not put a contract before its expand', () => {
    const main = [...base, '006_orders_expand_add_note.sql'];
    const { findings } = compareBranchMigrations({
      base: main,
      branch: [...base, '005_orders_contract_drop_memo.sql'],
    });
    expect(findings.map((finding) => [finding.kind, finding.fileName, finding.other])).toEqual([
      ['before-base', '005_orders_contract_drop_memo.sql', '006_orders_expand_add_note.sql'],
      ['phase-order', '005_orders_contract_drop_memo.sql', '006_orders_expand_add_note.sql'],
    ]);
    expect(findings[1]?.message).toMatch(/puts contract 005_orders_contract_drop_memo\.sql before expand/);
  });

  test('a contract already on the base does not make a later cycle of its scope out of order', () => {
    const main = [...base, '005_billing_contract_drop_old.sql'];
    const { findings } = compareBranchMigrations({
      base: main,
      branch: [...main, '006_billing_expand_add_tax.sql', '007_billing_contract_drop_vat.sql'],
    });
    expect(findings).toEqual([]);
  });

  test('a base file the branch renamed is reported when the fork point is known; invalid new names too', () => {
    const branch = base.filter((name) => name !== '003_billing_validate_currency.sql');
    const { findings } = compareBranchMigrations({
      base,
      branch: [...branch, '005_billing_validate_currency.sql', '6_orders_expand_x.sql'],
      forkPoint: base,
    });
    expect(findings.map((finding) => [finding.kind, finding.fileName])).toEqual([
      ['invalid-name', '6_orders_expand_x.sql'],
      ['removed', '003_billing_validate_currency.sql'],
    ]);
  });
});

describe('renumberBranchMigrations', () => {
  test("moves the branch's new files after the base's last seq, in order, keeping their digits", () => {
    const main = [...base, '005_search_validate_index.sql', '006_search_contract_drop_old.sql'];
    const branch = [
      ...base,
      '005_orders_expand_add_note.sql',
      '006_orders_backfill_note.ts',
      '0009_orders_validate_note.sql',
    ];
    const renames = renumberBranchMigrations({ base: main, branch });
    expect(renames).toEqual([
      { from: '005_orders_expand_add_note.sql', to: '007_orders_expand_add_note.sql' },
      { from: '006_orders_backfill_note.ts', to: '008_orders_backfill_note.ts' },
    ]);
    const renamed = branch.map((name) => renames.find((rename) => rename.from === name)?.to ?? name);
    expect(compareBranchMigrations({ base: main, branch: [...main, ...renamed] }).findings).toEqual([]);
  });

  test('nothing to move when the new files already follow the base', () => {
    expect(renumberBranchMigrations({ base, branch: [...base, '010_orders_expand_x.sql'] })).toEqual([]);
  });
});

describe('renameMigrationReferences', () => {
  test('renames whole names, with or without the extension, all at once', () => {
    const design = [
      '| 1 | `007_orders_expand_add_note.sql` | expand |',
      '2. 008_orders_backfill_note (backfill)',
      '3. 007_orders_expand_add_note_index.sql stays',
    ].join('\n');
    const renamed = renameMigrationReferences(design, [
      { from: '007_orders_expand_add_note.sql', to: '008_orders_expand_add_note.sql' },
      { from: '008_orders_backfill_note.ts', to: '009_orders_backfill_note.ts' },
    ]);
    expect(renamed).toBe(
      [
        '| 1 | `008_orders_expand_add_note.sql` | expand |',
        '2. 009_orders_backfill_note (backfill)',
        '3. 007_orders_expand_add_note_index.sql stays',
      ].join('\n'),
    );
  });
});
