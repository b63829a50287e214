import { describe, expect, test } from 'vitest';
import type { MigrationPhase } from '../migration-phase.js';
import { lintMigration, lintMigrations } from './lint-migration.js';
import type { LintRuleId } from './lint-rules.js';

interface RuleCase {
  name: string;
  phase: MigrationPhase;
  /** SQL that must be flagged with the rule, on `line`. */
  unsafe: string;
  line: number;
  /** The safe way to do the same thing: no finding at all. Several strings are successive migrations. */
  safe: string | string[];
}

const lint = (phase: MigrationPhase, sql: string | string[]) =>
  typeof sql === 'string'
    ? lintMigration({ file: `001_orders_${phase}_change.sql`, phase, sql })
    : lintMigrations(
        sql.map((text, index) => ({ file: `00${index + 1}_orders_${phase}_step.sql`, sql: text })),
      );

// Each rule: the unsafe form is reported with the rule id on the statement's line, and the
// safe form the rule recommends produces no finding whatsoever.
const CASES: Record<string, RuleCase[]> = {
  'create-index-without-concurrently': [
    {
      name: 'plain CREATE INDEX on an existing table',
      phase: 'expand',
      unsafe: 'SET lock_timeout = 1000;\n\nCREATE INDEX orders_customer_idx ON orders (customer_id);',
      line: 3,
      safe: 'CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);',
    },
    {
      name: 'CREATE UNIQUE INDEX on an existing table',
      phase: 'expand',
      unsafe: 'CREATE UNIQUE INDEX orders_ref_key ON orders (reference);',
      line: 1,
      safe: 'CREATE UNIQUE INDEX CONCURRENTLY orders_ref_key ON orders (reference);',
    },
  ],
  'add-foreign-key-without-not-valid': [
    {
      name: 'ADD CONSTRAINT ... FOREIGN KEY',
      phase: 'expand',
      unsafe:
        'ALTER TABLE orders\n  ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);',
      line: 2,
      safe: 'ALTER TABLE orders\n  ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;',
    },
    {
      name: 'inline REFERENCES on ADD COLUMN',
      phase: 'expand',
      unsafe: 'ALTER TABLE orders ADD COLUMN customer_id bigint REFERENCES customers (id);',
      line: 1,
      safe: 'ALTER TABLE orders ADD COLUMN customer_id bigint;\nALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;',
    },
  ],
  'add-check-without-not-valid': [
    {
      name: 'ADD CONSTRAINT ... CHECK',
      phase: 'validate',
      unsafe: 'ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0);',
      line: 1,
      safe: [
        'ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;',
        'ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;',
      ],
    },
  ],
  'alter-column-type': [
    {
      name: 'ALTER COLUMN TYPE ... USING',
      phase: 'expand',
      unsafe: '-- widen the key\nALTER TABLE orders ALTER COLUMN id TYPE bigint USING id::bigint;',
      line: 2,
      safe: 'ALTER TABLE orders ADD COLUMN id_new bigint;',
    },
  ],
  'set-not-null-without-check': [
    {
      name: 'SET NOT NULL with no check before it',
      phase: 'validate',
      unsafe: 'ALTER TABLE orders ALTER COLUMN currency SET NOT NULL;',
      line: 1,
      safe: [
        'ALTER TABLE orders ADD CONSTRAINT orders_currency_not_null CHECK (currency IS NOT NULL) NOT VALID;',
        'ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_not_null;\nALTER TABLE orders ALTER COLUMN currency SET NOT NULL;',
      ],
    },
    {
      name: 'SET NOT NULL after a check that was added NOT VALID but never validated',
      phase: 'validate',
      unsafe: [
        'ALTER TABLE orders ADD CONSTRAINT orders_currency_not_null CHECK (currency IS NOT NULL) NOT VALID;',
        'ALTER TABLE orders ALTER COLUMN currency SET NOT NULL;',
      ].join('\n'),
      line: 2,
      safe: [
        'ALTER TABLE orders ADD CONSTRAINT orders_currency_not_null CHECK (currency IS NOT NULL AND total IS NOT NULL) NOT VALID;',
        [
          'ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_not_null;',
          'ALTER TABLE orders ALTER COLUMN currency SET NOT NULL, ALTER COLUMN total SET NOT NULL;',
        ].join('\n'),
      ],
    },
  ],
  'validate-in-locking-transaction': [
    {
      name: 'ADD CONSTRAINT ... NOT VALID and VALIDATE in one migration',
      phase: 'validate',
      unsafe: [
        'ALTER TABLE orders ADD CONSTRAINT orders_currency_not_null CHECK (currency IS NOT NULL) NOT VALID;',
        'ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_not_null;',
      ].join('\n'),
      line: 2,
      safe: [
        'ALTER TABLE orders ADD CONSTRAINT orders_currency_not_null CHECK (currency IS NOT NULL) NOT VALID;',
        'ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_not_null;',
      ],
    },
    {
      name: 'a foreign key added NOT VALID and validated in one ALTER TABLE',
      phase: 'validate',
      unsafe: [
        'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID,',
        '  VALIDATE CONSTRAINT orders_customer_fk;',
      ].join('\n'),
      line: 1,
      safe: [
        'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;',
        'ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;',
      ],
    },
    {
      name: 'VALIDATE after an unrelated ALTER TABLE of the same table',
      phase: 'validate',
      unsafe:
        "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;",
      line: 2,
      safe: 'ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;\nALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;',
    },
  ],
  'volatile-default-on-new-column': [
    {
      name: 'DEFAULT gen_random_uuid()',
      phase: 'expand',
      unsafe: 'ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();',
      line: 1,
      safe: "ALTER TABLE orders ADD COLUMN currency text DEFAULT 'EUR';\nALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT now();",
    },
    {
      name: 'DEFAULT clock_timestamp()',
      phase: 'expand',
      unsafe: 'ALTER TABLE orders ADD COLUMN seen_at timestamptz\n  DEFAULT clock_timestamp();',
      line: 2,
      safe: 'ALTER TABLE orders ADD COLUMN seen_at timestamptz DEFAULT CURRENT_TIMESTAMP;',
    },
    {
      name: 'a function of unknown volatility',
      phase: 'expand',
      unsafe: "ALTER TABLE orders ADD COLUMN code text DEFAULT make_code('x');",
      line: 1,
      safe: "ALTER TABLE orders ADD COLUMN code text DEFAULT upper('x');",
    },
    {
      name: 'a serial column',
      phase: 'expand',
      unsafe: 'ALTER TABLE orders ADD COLUMN position bigserial;',
      line: 1,
      safe: 'ALTER TABLE orders ADD COLUMN position bigint;',
    },
    {
      name: 'an identity column',
      phase: 'expand',
      unsafe: 'ALTER TABLE orders ADD COLUMN position bigint GENERATED ALWAYS AS IDENTITY;',
      line: 1,
      safe: 'ALTER TABLE orders ADD COLUMN position bigint;',
    },
    {
      name: 'a stored generated column',
      phase: 'expand',
      unsafe: 'ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (total * 100) STORED;',
      line: 1,
      safe: 'ALTER TABLE orders ADD COLUMN total_cents bigint;',
    },
  ],
  'add-column-not-null-without-default': [
    {
      name: 'NOT NULL without a default',
      phase: 'expand',
      unsafe: 'ALTER TABLE orders ADD COLUMN currency text NOT NULL;',
      line: 1,
      safe: "ALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT 'EUR';",
    },
  ],
  'add-unique-constraint': [
    {
      name: 'ADD CONSTRAINT ... UNIQUE',
      phase: 'validate',
      unsafe: 'ALTER TABLE orders ADD CONSTRAINT orders_reference_key UNIQUE (reference);',
      line: 1,
      safe: 'ALTER TABLE orders ADD CONSTRAINT orders_reference_key UNIQUE USING INDEX orders_reference_idx;',
    },
    {
      name: 'ADD PRIMARY KEY',
      phase: 'validate',
      unsafe: 'ALTER TABLE orders ADD PRIMARY KEY (id);',
      line: 1,
      safe: 'ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_id_idx;',
    },
    {
      name: 'UNIQUE on ADD COLUMN',
      phase: 'expand',
      unsafe: 'ALTER TABLE orders ADD COLUMN reference text UNIQUE;',
      line: 1,
      safe: 'ALTER TABLE orders ADD COLUMN reference text;',
    },
  ],
  'concurrently-in-transaction': [
    {
      name: 'CREATE INDEX CONCURRENTLY between BEGIN and COMMIT',
      phase: 'expand',
      unsafe: 'BEGIN;\nCREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);\nCOMMIT;',
      line: 2,
      safe: 'CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);',
    },
    {
      name: 'DROP INDEX CONCURRENTLY after START TRANSACTION',
      phase: 'contract',
      unsafe: 'START TRANSACTION;\nDROP INDEX CONCURRENTLY orders_old_idx;',
      line: 2,
      safe: 'DROP INDEX CONCURRENTLY orders_old_idx;',
    },
  ],
  'vacuum-full': [
    {
      name: 'VACUUM FULL',
      phase: 'backfill',
      unsafe: 'VACUUM FULL orders;',
      line: 1,
      safe: 'VACUUM (ANALYZE) orders;',
    },
    {
      name: 'VACUUM (FULL)',
      phase: 'backfill',
      unsafe: 'VACUUM (FULL, ANALYZE) orders;',
      line: 1,
      safe: 'VACUUM (FULL false) orders;',
    },
  ],
  cluster: [
    {
      name: 'CLUSTER',
      phase: 'backfill',
      unsafe: 'CLUSTER orders USING orders_pkey;',
      line: 1,
      safe: 'ANALYZE orders;',
    },
  ],
  'lock-table': [
    {
      name: 'LOCK TABLE',
      phase: 'backfill',
      unsafe: 'LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;',
      line: 1,
      safe: "UPDATE orders SET currency = 'EUR' WHERE id BETWEEN 1 AND 1000;",
    },
  ],
  'reindex-without-concurrently': [
    {
      name: 'REINDEX INDEX',
      phase: 'expand',
      unsafe: 'REINDEX INDEX orders_customer_idx;',
      line: 1,
      safe: 'REINDEX INDEX CONCURRENTLY orders_customer_idx;',
    },
  ],
  'drop-index-without-concurrently': [
    {
      name: 'DROP INDEX',
      phase: 'contract',
      unsafe: 'DROP INDEX orders_old_idx;',
      line: 1,
      safe: 'DROP INDEX CONCURRENTLY orders_old_idx;',
    },
  ],
};

describe('lock and rewrite rules', () => {
  for (const [ruleId, cases] of Object.entries(CASES)) {
    describe(ruleId, () => {
      test.each(cases)('flags $name', async ({ phase, unsafe, line }) => {
        const findings = await lint(phase, unsafe);
        expect(findings).toContainEqual(expect.objectContaining({ ruleId: ruleId as LintRuleId, line }));
      });
      test.each(cases)('passes the safe form of $name', async ({ phase, safe }) => {
        expect(await lint(phase, safe)).toEqual([]);
      });
    });
  }

  test('a finding says which lock it takes on which table, and what to do instead', async () => {
    const [finding] = await lint('expand', 'CREATE INDEX orders_customer_idx ON orders (customer_id);');
    expect(finding).toEqual({
      file: '001_orders_expand_change.sql',
      line: 1,
      column: 1,
      ruleId: 'create-index-without-concurrently',
      severity: 'error',
      message: 'CREATE INDEX on existing table orders without CONCURRENTLY.',
      lock: 'SHARE lock on orders for the whole index build: every INSERT, UPDATE and DELETE on it waits.',
      safeAlternative: expect.stringContaining('CREATE INDEX CONCURRENTLY'),
    });
  });

  test('a table created earlier in the same file is not existing: indexes, constraints and defaults on it are fine', async () => {
    const sql = [
      'CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id bigint, total numeric);',
      'CREATE INDEX invoices_order_idx ON invoices (order_id);',
      'ALTER TABLE invoices ADD CONSTRAINT invoices_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);',
      'ALTER TABLE invoices ADD CONSTRAINT invoices_total_positive CHECK (total > 0);',
      'ALTER TABLE invoices ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE;',
    ].join('\n');
    expect(await lint('expand', sql)).toEqual([]);
  });

  test('the same index before the CREATE TABLE, or on another table, is still flagged', async () => {
    const sql = [
      'CREATE INDEX invoices_order_idx ON invoices (order_id);',
      'CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id bigint);',
      'CREATE INDEX orders_customer_idx ON orders (customer_id);',
    ].join('\n');
    const findings = await lint('expand', sql);
    expect(findings.map((f) => [f.ruleId, f.line])).toEqual([
      ['create-index-without-concurrently', 1],
      ['create-index-without-concurrently', 3],
    ]);
  });

  test('existingTables refines what exists: a table missing from it is new, schema-qualified names match bare ones', async () => {
    const sql = 'CREATE INDEX a_idx ON new_table (x);\nCREATE INDEX b_idx ON orders (x);';
    const findings = await lintMigration({
      file: '001_orders_expand_change.sql',
      phase: 'expand',
      sql,
      existingTables: ['public.orders'],
    });
    expect(findings.map((f) => [f.ruleId, f.line])).toEqual([['create-index-without-concurrently', 2]]);
  });

  test('a finding inside a multi-line statement points at the offending part', async () => {
    const sql = [
      'ALTER TABLE orders',
      '  ADD COLUMN note text,',
      '  ADD COLUMN public_id uuid DEFAULT gen_random_uuid(),',
      '  ADD CONSTRAINT orders_total_positive CHECK (total > 0);',
    ].join('\n');
    const findings = await lint('expand', sql);
    expect(findings.map((f) => [f.ruleId, f.line])).toEqual([
      ['volatile-default-on-new-column', 3],
      ['expand-not-additive', 4],
      ['add-check-without-not-valid', 4],
    ]);
  });
});
