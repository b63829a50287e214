import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSchemaDesign, readSchemaDesign, type SchemaDesign } from './schema-design.js';
import { SchemaDesignError } from './schema-design-error.js';

// What each entry boils down to: migration name (and stated phase) or gate (and release), with its line.
const outline = (design: SchemaDesign) =>
  design.entries.map((entry) =>
    entry.kind === 'gate'
      ? ['gate', entry.release, entry.line]
      : [entry.migration.name, entry.declaredPhase, entry.line],
  );

const TABLE_DESIGN = `# PROJ-123: orders in several currencies

Approved by the database designer. Adds \`orders.currency\`, replacing \`currency_code\`.

## Schema

\`\`\`sql
# not a heading: this is inside a code block
ALTER TABLE orders ADD COLUMN currency text;
\`\`\`

## Migration plan

| # | File | Phase | Notes |
|---|------|-------|-------|
| 1 | \`001_PROJ-123_expand_add_currency.sql\` | expand | nullable column |
| 2 | \`002_PROJ-123_backfill_currency.ts\` | backfill | batchUpdate, 5000 rows per batch |
| 3 | \`003_PROJ-123_validate_currency_not_null.sql\` | validate | check NOT VALID, validate, SET NOT NULL |
|   | **[CODE DEPLOY]** |  | release 2.4 stops reading currency_code |
| 4 | \`004_PROJ-123_contract_drop_currency_code.sql\` | contract | |

## Rollback

Before the deploy, roll back 003 → 001 in reverse: \`001_PROJ-123_expand_add_currency.sql\` drops the column.
`;

describe('parseSchemaDesign', () => {
  test('reads a plan table: files in order, the Phase column, and the gate row', () => {
    const design = parseSchemaDesign(TABLE_DESIGN, 'plans/PROJ-123/main/schema_design.md');
    expect(design.path).toBe('plans/PROJ-123/main/schema_design.md');
    expect(outline(design)).toEqual([
      ['001_PROJ-123_expand_add_currency', 'expand', 16],
      ['002_PROJ-123_backfill_currency', 'backfill', 17],
      ['003_PROJ-123_validate_currency_not_null', 'validate', 18],
      ['gate', undefined, 19],
      ['004_PROJ-123_contract_drop_currency_code', 'contract', 20],
    ]);
    expect(design.entries[1]).toMatchObject({
      kind: 'migration',
      fileName: '002_PROJ-123_backfill_currency.ts',
      migration: { seq: 2, scope: 'PROJ-123', phase: 'backfill', description: 'currency' },
    });
  });

  test('reads an ordered list with a release-labelled gate and (phase) notes; prose mentioning the gate is not one', () => {
    const design = parseSchemaDesign(`# Invoices

Intro prose.

## Migrations

The steps are expand → backfill → validate → [CODE DEPLOY] → contract:

1. \`010_billing_expand_invoices_table.sql\` — new table
2. \`011_billing_backfill_invoices.sql\` (backfill), about 100_000 rows
3. **[CODE DEPLOY: v3.1.0]**
4. \`012_billing_contract_drop_legacy_invoices.sql\`

## Risks

None.
`);
    expect(outline(design)).toEqual([
      ['010_billing_expand_invoices_table', undefined, 9],
      ['011_billing_backfill_invoices', 'backfill', 10],
      ['gate', 'v3.1.0', 11],
      ['012_billing_contract_drop_legacy_invoices', undefined, 12],
    ]);
  });

  test('reads phase sub-headings, names without extension, and a gate heading', () => {
    const design = parseSchemaDesign(`## Migration phases
### Expand
- 001_user_auth_expand_add_email_verified
### Validate
- 002_user_auth_validate_email_verified_not_null
### [CODE DEPLOY]
### Contract (after the deploy)
- 003_user_auth_contract_drop_confirmed_flag
`);
    expect(outline(design)).toEqual([
      ['001_user_auth_expand_add_email_verified', 'expand', 3],
      ['002_user_auth_validate_email_verified_not_null', 'validate', 5],
      ['gate', undefined, 6],
      ['003_user_auth_contract_drop_confirmed_flag', 'contract', 8],
    ]);
  });

  test('reads a plan written as a SQL block with -- comments', () => {
    const design = parseSchemaDesign(`## Deploy order
\`\`\`sql
-- 001_billing_expand_add_currency.sql
ALTER TABLE orders ADD COLUMN currency_id bigint;
-- [CODE DEPLOY]
-- 002_billing_contract_drop_currency_code.sql
ALTER TABLE orders DROP COLUMN currency_code;
\`\`\`
`);
    expect(outline(design)).toEqual([
      ['001_billing_expand_add_currency', undefined, 3],
      ['gate', undefined, 5],
      ['002_billing_contract_drop_currency_code', undefined, 6],
    ]);
  });

  test('without a plan heading the whole document is read; a file mentioned twice counts once', () => {
    const design = parseSchemaDesign(`Run 001_a_expand_x.sql, then 002_a_backfill_y.sql.

[CODE DEPLOY]

Then 003_a_contract_z.sql. (001_a_expand_x.sql is the one with the index.)
`);
    expect(outline(design)).toEqual([
      ['001_a_expand_x', undefined, 1],
      ['002_a_backfill_y', undefined, 1],
      ['gate', undefined, 3],
      ['003_a_contract_z', undefined, 5],
    ]);
  });

  test('a design with no migrations is an error that says what a plan looks like', () => {
    expect(() =>
      parseSchemaDesign('# Design\n\n## Migration plan\n\nTo be decided.\n', 'x/schema_design.md'),
    ).toThrow(
      /^Schema design x\/schema_design\.md: no migration plan found\. List the migration files in order under a heading such as "## Migration plan"/,
    );
  });

  test('a file name with an extension that breaks the naming rules is an error naming the line', () => {
    let error: unknown;
    try {
      parseSchemaDesign('## Migration plan\n\n1. `001_add_currency.sql`\n', 'd.md');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SchemaDesignError);
    expect((error as SchemaDesignError).line).toBe(3);
    expect((error as SchemaDesignError).message).toMatch(
      /^Schema design d\.md:3: "001_add_currency\.sql" is not a valid migration name/,
    );
  });
});

describe('readSchemaDesign', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'strata-design-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  test('reads the plan from a file', async () => {
    const path = join(directory, 'schema_design.md');
    await writeFile(path, TABLE_DESIGN);
    const design = await readSchemaDesign(path);
    expect(design.path).toBe(path);
    expect(design.entries).toHaveLength(5);
  });

  test('a missing file is a SchemaDesignError naming the path', async () => {
    const path = join(directory, 'nope', 'schema_design.md');
    await expect(readSchemaDesign(path)).rejects.toThrow(
      new SchemaDesignError(path, 'the file does not exist'),
    );
  });
});
