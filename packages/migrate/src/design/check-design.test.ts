import { describe, expect, test } from 'vitest';
import { checkDesign } from './check-design.js';
import { parseSchemaDesign } from './schema-design.js';

const DESIGN = parseSchemaDesign(`# PROJ-123

## Migration plan

| # | File | Phase |
|---|------|-------|
| 1 | \`001_PROJ-123_expand_add_currency.sql\` | expand |
| 2 | \`002_PROJ-123_backfill_currency.ts\` | backfill |
| 3 | \`003_PROJ-123_validate_currency_not_null.sql\` | validate |
|   | [CODE DEPLOY] | |
| 4 | \`004_PROJ-123_contract_drop_currency_code.sql\` | contract |
`);

const ON_DISK = [
  'migrations/001_PROJ-123_expand_add_currency.sql',
  'migrations/002_PROJ-123_backfill_currency.ts',
  'migrations/003_PROJ-123_validate_currency_not_null.sql',
  'migrations/004_PROJ-123_contract_drop_currency_code.sql',
];

const kinds = (findings: ReturnType<typeof checkDesign>) =>
  findings.map((finding) => [finding.kind, finding.fileName, finding.designLine]);

describe('checkDesign', () => {
  test('files that match the plan, plus other scopes’ migrations, are fine', () => {
    expect(checkDesign(DESIGN, [...ON_DISK, 'migrations/000_init_expand_schema.sql', 'README.md'])).toEqual(
      [],
    );
  });

  test('a planned migration without a file is missing', () => {
    const findings = checkDesign(
      DESIGN,
      ON_DISK.filter((file) => !file.includes('004_')),
    );
    expect(kinds(findings)).toEqual([['missing', '004_PROJ-123_contract_drop_currency_code.sql', 11]]);
    expect(findings[0]?.message).toBe(
      'The design plans 004_PROJ-123_contract_drop_currency_code.sql (line 11) but there is no such migration file.',
    );
  });

  test('a file of the design’s scope that the design does not plan is extra', () => {
    const findings = checkDesign(DESIGN, [...ON_DISK, '005_PROJ-123_expand_add_rate.sql']);
    expect(kinds(findings)).toEqual([['extra', '005_PROJ-123_expand_add_rate.sql', undefined]]);
  });

  test('a file in another phase than the design gives it is wrong-phase', () => {
    const disk = ON_DISK.map((file) => file.replace('003_PROJ-123_validate_', '003_PROJ-123_expand_'));
    const findings = checkDesign(DESIGN, disk);
    expect(kinds(findings)).toEqual([['wrong-phase', '003_PROJ-123_expand_currency_not_null.sql', 9]]);
    expect(findings[0]?.message).toBe(
      '003_PROJ-123_expand_currency_not_null.sql is an expand migration but the design (line 9) gives it the validate phase.',
    );
  });

  test('the Phase column is checked against the file, not just the name the design writes', () => {
    const design = parseSchemaDesign(`## Migration plan
| File | Phase |
|------|-------|
| 001_a_expand_add_x.sql | backfill |
`);
    expect(kinds(checkDesign(design, ['001_a_expand_add_x.sql']))).toEqual([
      ['wrong-phase', '001_a_expand_add_x.sql', 4],
    ]);
  });

  test('files whose sequence order contradicts the design are out of order', () => {
    const disk = [
      '001_PROJ-123_expand_add_currency.sql',
      '003_PROJ-123_backfill_currency.ts',
      '002_PROJ-123_validate_currency_not_null.sql',
      '004_PROJ-123_contract_drop_currency_code.sql',
    ];
    const findings = checkDesign(DESIGN, disk);
    expect(kinds(findings)).toEqual([
      ['seq-mismatch', '003_PROJ-123_backfill_currency.ts', 8],
      ['seq-mismatch', '002_PROJ-123_validate_currency_not_null.sql', 9],
      ['out-of-order', '002_PROJ-123_validate_currency_not_null.sql', 9],
    ]);
    expect(findings[2]?.message).toContain(
      'puts 002_PROJ-123_validate_currency_not_null.sql (line 9) after 003_PROJ-123_backfill_currency.ts (line 8)',
    );
  });

  test('a contract the design does not put after a [CODE DEPLOY] gate is reported', () => {
    const design = parseSchemaDesign(`## Migration plan
1. 001_a_expand_add_x.sql
2. 002_a_contract_drop_y.sql
3. [CODE DEPLOY]
4. 003_b_expand_add_z.sql
5. 004_b_contract_drop_w.sql
`);
    const findings = checkDesign(design, [
      '001_a_expand_add_x.sql',
      '002_a_contract_drop_y.sql',
      '003_b_expand_add_z.sql',
      '004_b_contract_drop_w.sql',
    ]);
    expect(kinds(findings)).toEqual([
      ['gate', '002_a_contract_drop_y.sql', 3],
      ['gate', '004_b_contract_drop_w.sql', 6],
    ]);
    expect(findings[1]?.message).toBe(
      'The design puts contract migration 004_b_contract_drop_w.sql (line 6) after 003_b_expand_add_z.sql (line 5) with no [CODE DEPLOY] gate between them.',
    );
  });

  test('a design listing a scope’s phases backwards is out of order', () => {
    const design = parseSchemaDesign(`## Migration plan
- 001_a_validate_x.sql
- 002_a_expand_y.sql
`);
    const findings = checkDesign(design, ['001_a_validate_x.sql', '002_a_expand_y.sql']);
    expect(kinds(findings)).toEqual([['out-of-order', '002_a_expand_y.sql', 3]]);
  });
});
