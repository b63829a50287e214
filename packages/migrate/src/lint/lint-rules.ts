/**
 * How bad a finding is: errors fail `lint` (and stop `up`); warnings are reported only;
 * notes are what a catalog showed to be harmless here (a lock on a small table).
 */
export type LintSeverity = 'error' | 'warning' | 'note';

/** The group a rule belongs to, as LINT.md documents them. */
export type LintRuleCategory = 'phase' | 'locks' | 'project' | 'types' | 'backfill' | 'lint';

/** One rule of the migration linter, as `LINT_RULES` lists it for help output and LINT.md documents it. */
export interface LintRule {
  /** Stable identifier, used in findings and in `-- strata:allow <rule-id> <reason>` waivers. */
  readonly id: string;
  readonly category: LintRuleCategory;
  readonly severity: LintSeverity;
  /** One sentence: what the rule catches. */
  readonly description: string;
  /** The lock taken or rewrite done by the flagged SQL, when that is the problem. */
  readonly lock?: string;
  /** What to write instead. */
  readonly safeAlternative: string;
  /** Whether `-- strata:allow` can waive it. Rules about the lint input itself cannot be. */
  readonly waivable: boolean;
}

const MOVE_TO_CONTRACT =
  'Move it to a contract migration: contract runs only after the code that stops using the old object is deployed (`up --post-deploy`).';

/**
 * Every rule the linter knows, in documentation order. Ids are stable across releases;
 * new rules are added, old ids are never reused for something else.
 */
export const LINT_RULES = [
  // Phase fit: each phase may only do its kind of change.
  {
    id: 'drop-outside-contract',
    category: 'phase',
    severity: 'error',
    description:
      'DROP (table, column, constraint, index, type, ...), TRUNCATE or DETACH PARTITION in an expand, backfill or validate migration.',
    lock: 'Removes something the currently deployed code may still use, as soon as it runs: queries that read or write a dropped table or column fail, queries that used a dropped index get slower, a dropped constraint stops being enforced.',
    safeAlternative: MOVE_TO_CONTRACT,
    waivable: true,
  },
  {
    id: 'rename-outside-contract',
    category: 'phase',
    severity: 'error',
    description:
      'RENAME (table, column, constraint, index, enum value, ...) or SET SCHEMA in an expand, backfill or validate migration.',
    lock: 'The deployed code still uses the old name; its queries fail as soon as it runs.',
    safeAlternative:
      'Add the new column or table in expand, backfill it, deploy code that uses the new name, then drop (or rename) the old one in a contract migration.',
    waivable: true,
  },
  {
    id: 'expand-not-additive',
    category: 'phase',
    severity: 'error',
    description:
      'An expand migration does something other than add: it changes data, validates or tightens a constraint, or sets NOT NULL.',
    safeAlternative:
      'Expand only adds tables, nullable columns (or columns with a constant default), indexes CONCURRENTLY and constraints NOT VALID. Move data changes to a backfill migration and validation/NOT NULL to a validate migration.',
    waivable: true,
  },
  {
    id: 'backfill-not-data-only',
    category: 'phase',
    severity: 'error',
    description: 'A backfill migration changes the schema instead of only changing data.',
    safeAlternative:
      'Backfill only runs INSERT/UPDATE/DELETE (preferably batched). Put schema additions in expand and constraints in validate.',
    waivable: true,
  },
  {
    id: 'validate-not-tightening',
    category: 'phase',
    severity: 'error',
    description:
      'A validate migration does something other than validate or tighten: it adds tables, columns or plain indexes, or changes data.',
    safeAlternative:
      'Validate only runs VALIDATE CONSTRAINT, SET NOT NULL (after a validated check), ADD CONSTRAINT ... NOT VALID, and UNIQUE/PRIMARY KEY ... USING INDEX. Move additions to expand and data changes to backfill.',
    waivable: true,
  },
  {
    id: 'contract-not-removal',
    category: 'phase',
    severity: 'error',
    description: 'A contract migration does something other than remove or rename.',
    safeAlternative:
      'Contract only drops and renames what the deployed code no longer uses. Additions belong in expand, data changes in backfill, constraints in validate.',
    waivable: true,
  },
  {
    id: 'not-null-before-backfill',
    category: 'phase',
    severity: 'error',
    description:
      'A CHECK (column IS NOT NULL) — even NOT VALID — or SET NOT NULL on a column added to an existing table without a DEFAULT, before a backfill filled it (an UPDATE setting it, or a backfill migration of its scope).',
    lock: 'NOT VALID skips only the check of existing rows: every new row version is checked, so each UPDATE of a row the backfill has not reached, and each INSERT that leaves the column out, fails.',
    safeAlternative:
      'Add the check after the backfill, in the validate phase: ADD CONSTRAINT ... NOT VALID in one migration and VALIDATE CONSTRAINT in the next. Give the column a DEFAULT (ALTER COLUMN ... SET DEFAULT in expand) so that INSERTs leaving it out pass.',
    waivable: true,
  },
  {
    id: 'not-null-without-default',
    category: 'phase',
    severity: 'warning',
    description:
      'A CHECK (column IS NOT NULL) or SET NOT NULL before the code deploy on a backfilled column that was added without a DEFAULT.',
    lock: 'The code deployed before the column existed inserts rows without it: once the check applies (NOT VALID included), those INSERTs fail.',
    safeAlternative:
      'Give the column a DEFAULT in expand (ALTER COLUMN ... SET DEFAULT: new rows only, no rewrite), or waive when the deployed code already writes the column.',
    waivable: true,
  },
  // Locks and rewrites.
  {
    id: 'create-index-without-concurrently',
    category: 'locks',
    severity: 'error',
    description: 'CREATE INDEX without CONCURRENTLY on a table that already exists.',
    lock: 'SHARE lock on the table for the whole index build: every INSERT, UPDATE and DELETE waits.',
    safeAlternative:
      'CREATE INDEX CONCURRENTLY (the migrator runs such a file outside a transaction and rebuilds an index left INVALID by a failed run).',
    waivable: true,
  },
  {
    id: 'add-foreign-key-without-not-valid',
    category: 'locks',
    severity: 'error',
    description:
      'A foreign key added to an existing table without NOT VALID (including an inline REFERENCES on ADD COLUMN).',
    lock: 'SHARE ROW EXCLUSIVE on both tables while every row is checked: writes to both tables wait for the full scan.',
    safeAlternative:
      'ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID in expand, then ALTER TABLE ... VALIDATE CONSTRAINT in validate (SHARE UPDATE EXCLUSIVE: reads and writes continue).',
    waivable: true,
  },
  {
    id: 'add-check-without-not-valid',
    category: 'locks',
    severity: 'error',
    description:
      'A CHECK constraint added to an existing table without NOT VALID (including an inline CHECK on ADD COLUMN).',
    lock: 'ACCESS EXCLUSIVE on the table while every row is checked: all reads and writes wait for the full scan.',
    safeAlternative:
      'ALTER TABLE ... ADD CONSTRAINT ... CHECK (...) NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in validate (SHARE UPDATE EXCLUSIVE: reads and writes continue).',
    waivable: true,
  },
  {
    id: 'alter-column-type',
    category: 'locks',
    severity: 'error',
    description: 'ALTER COLUMN ... TYPE on an existing table.',
    lock: 'ACCESS EXCLUSIVE on the table and, unless the old and new types are binary-compatible, a rewrite of every row and every index: all reads and writes wait.',
    safeAlternative:
      'Add a column of the new type (expand), backfill it in batches, deploy code that uses it, drop the old column (contract). If the change is binary-compatible (varchar(n) → varchar(m > n) or text, numeric(p, s) → numeric(q > p, s)), waive with that reason.',
    waivable: true,
  },
  {
    id: 'set-not-null-without-check',
    category: 'locks',
    severity: 'error',
    description:
      'ALTER COLUMN ... SET NOT NULL on an existing table without an earlier validated CHECK (column IS NOT NULL).',
    lock: 'ACCESS EXCLUSIVE on the table while every row is scanned for NULLs: all reads and writes wait.',
    safeAlternative:
      'ADD CONSTRAINT c CHECK (column IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL, which PostgreSQL 12+ does without a scan; drop c in a contract migration.',
    waivable: true,
  },
  {
    id: 'volatile-default-on-new-column',
    category: 'locks',
    severity: 'error',
    description:
      'ADD COLUMN on an existing table with a value computed per row: a volatile DEFAULT (random(), gen_random_uuid(), clock_timestamp(), nextval, an unknown function), serial, GENERATED AS IDENTITY or GENERATED ... STORED.',
    lock: 'ACCESS EXCLUSIVE on the table while every row is rewritten (only a constant or stable default is stored once, without a rewrite).',
    safeAlternative:
      'Add the column without a default (or with a constant one), ALTER COLUMN ... SET DEFAULT separately (affects new rows only), and fill existing rows in a batched backfill.',
    waivable: true,
  },
  {
    id: 'add-column-not-null-without-default',
    category: 'locks',
    severity: 'error',
    description: 'ADD COLUMN ... NOT NULL without a default on an existing table.',
    lock: 'Fails on any table that has rows; where it succeeds it took ACCESS EXCLUSIVE and scanned the table.',
    safeAlternative:
      'Add the column nullable (or NOT NULL with a constant DEFAULT), backfill it, then add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it and SET NOT NULL in validate.',
    waivable: true,
  },
  {
    id: 'add-unique-constraint',
    category: 'locks',
    severity: 'error',
    description:
      'A UNIQUE or PRIMARY KEY constraint added directly to an existing table (not USING INDEX), including on ADD COLUMN.',
    lock: 'ACCESS EXCLUSIVE on the table while the unique index is built: all reads and writes wait.',
    safeAlternative:
      'CREATE UNIQUE INDEX CONCURRENTLY in expand, then ALTER TABLE ... ADD CONSTRAINT name UNIQUE USING INDEX (or PRIMARY KEY USING INDEX) in validate.',
    waivable: true,
  },
  {
    id: 'concurrently-in-transaction',
    category: 'locks',
    severity: 'error',
    description:
      'CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY or DETACH PARTITION CONCURRENTLY between an explicit BEGIN and COMMIT.',
    lock: 'PostgreSQL refuses it ("cannot run inside a transaction block"); the migration fails.',
    safeAlternative:
      'Remove BEGIN/COMMIT: the migrator detects CONCURRENTLY and runs the file outside a transaction.',
    waivable: true,
  },
  {
    id: 'vacuum-full',
    category: 'locks',
    severity: 'error',
    description: 'VACUUM FULL (or VACUUM (FULL)) in a migration.',
    lock: 'ACCESS EXCLUSIVE on the table while it is rewritten completely: all reads and writes wait.',
    safeAlternative:
      'Plain VACUUM (no blocking); reclaim bloat online with pg_repack or pg_squeeze, outside migrations.',
    waivable: true,
  },
  {
    id: 'cluster',
    category: 'locks',
    severity: 'error',
    description: 'CLUSTER of a table in a migration.',
    lock: 'ACCESS EXCLUSIVE on the table while it is rewritten in index order: all reads and writes wait.',
    safeAlternative:
      'Leave physical ordering out of migrations; use pg_repack --order-by online if it is really needed.',
    waivable: true,
  },
  {
    id: 'lock-table',
    category: 'locks',
    severity: 'error',
    description: 'An explicit LOCK TABLE.',
    lock: 'The requested lock is held until the migration commits; in the usual ACCESS EXCLUSIVE mode all reads and writes wait.',
    safeAlternative:
      'Let each statement take the lock it needs; the migrator sets a short lock_timeout and retries, so it never queues behind long transactions.',
    waivable: true,
  },
  {
    id: 'reindex-without-concurrently',
    category: 'locks',
    severity: 'error',
    description: 'REINDEX without CONCURRENTLY.',
    lock: 'ACCESS EXCLUSIVE on the index and SHARE on its table for the rebuild: writes, and queries that would use the index, wait.',
    safeAlternative: 'REINDEX ... CONCURRENTLY.',
    waivable: true,
  },
  {
    id: 'drop-index-without-concurrently',
    category: 'locks',
    severity: 'warning',
    description: 'DROP INDEX without CONCURRENTLY.',
    lock: 'ACCESS EXCLUSIVE on the index’s table: short, but it queues behind running queries and blocks everything behind it.',
    safeAlternative: 'DROP INDEX CONCURRENTLY (one index per statement, outside a transaction).',
    waivable: true,
  },
  {
    id: 'validate-in-locking-transaction',
    category: 'locks',
    severity: 'error',
    description:
      'VALIDATE CONSTRAINT in the same transaction (migration) as an earlier statement that took a write-blocking lock on the same table, such as the ADD CONSTRAINT ... NOT VALID it validates.',
    lock: 'A transaction keeps its locks until it commits: the earlier ACCESS EXCLUSIVE (or SHARE ROW EXCLUSIVE) lock is held through the whole validation scan, and every INSERT, UPDATE and DELETE on the table waits.',
    safeAlternative:
      'Put VALIDATE CONSTRAINT in a migration of its own, after the one that adds the constraint NOT VALID: each migration is its own transaction, and VALIDATE alone takes SHARE UPDATE EXCLUSIVE (reads and writes continue).',
    waivable: true,
  },
  {
    id: 'foreign-key-without-index',
    category: 'locks',
    severity: 'warning',
    description:
      'A FOREIGN KEY whose referencing columns lead no index of their table (checked with a database catalog: `lint --database-url`, or the `lintCatalog` option of `up`).',
    lock: 'Every DELETE of a referenced row, and every UPDATE of its key, scans the whole referencing table for rows that point at it, while holding its locks.',
    safeAlternative:
      'CREATE INDEX CONCURRENTLY on the referencing columns, in the same expand migration or one before the constraint.',
    waivable: true,
  },
  // The project's own rules.
  {
    id: 'no-function',
    category: 'project',
    severity: 'error',
    description: 'CREATE FUNCTION: the project keeps logic in application code, not the database.',
    safeAlternative: 'Implement the logic in application code.',
    waivable: true,
  },
  {
    id: 'no-procedure',
    category: 'project',
    severity: 'error',
    description: 'CREATE PROCEDURE: no stored procedures in the schema.',
    safeAlternative: 'Implement the logic in application code (a batched backfill for data changes).',
    waivable: true,
  },
  {
    id: 'no-trigger',
    category: 'project',
    severity: 'error',
    description: 'CREATE TRIGGER, CREATE CONSTRAINT TRIGGER or CREATE EVENT TRIGGER.',
    safeAlternative:
      'Do the work explicitly in application code (for example in the same transaction, or with an outbox table).',
    waivable: true,
  },
  {
    id: 'no-rule',
    category: 'project',
    severity: 'error',
    description: 'CREATE RULE: query rewrite rules hide behaviour from the application.',
    safeAlternative: 'Do the work explicitly in application code, or use a view.',
    waivable: true,
  },
  {
    id: 'do-block',
    category: 'project',
    severity: 'warning',
    description:
      'A DO block with statements the linter cannot see: EXECUTE of a string computed at run time, a language other than PL/pgSQL, or a body the parser cannot read. (Static statements inside a DO block are linted like any other.)',
    safeAlternative:
      'Write the statements as plain SQL (or EXECUTE a constant string), or move procedural data changes to a .ts backfill migration.',
    waivable: true,
  },
  // Type hygiene.
  {
    id: 'prefer-text',
    category: 'types',
    severity: 'warning',
    description: 'A column typed varchar(n) or char(n).',
    safeAlternative:
      'text (with a CHECK (length(column) <= n) NOT VALID if the limit is a real rule: changing a check later needs no rewrite, changing varchar(n) may).',
    waivable: true,
  },
  {
    id: 'prefer-timestamptz',
    category: 'types',
    severity: 'warning',
    description: 'A column typed timestamp (without time zone).',
    safeAlternative:
      'timestamptz: it stores an absolute instant; timestamp silently depends on the writer’s time zone.',
    waivable: true,
  },
  {
    id: 'prefer-bigint-primary-key',
    category: 'types',
    severity: 'warning',
    description: 'A single-column primary key typed smallint, integer, smallserial or serial.',
    safeAlternative:
      'bigint GENERATED ALWAYS AS IDENTITY: integer keys run out at 2^31 and widening a primary key later rewrites the table and every referencing one.',
    waivable: true,
  },
  // Backfill shape.
  {
    id: 'unbounded-update',
    category: 'backfill',
    severity: 'warning',
    description:
      'An UPDATE of an existing table with no WHERE clause, or one that bounds neither a key range nor a batch (LIMIT in a sub-select).',
    lock: 'Row locks on every matching row until the statement commits, one huge transaction of WAL, and a table of dead tuples: concurrent writers to those rows wait.',
    safeAlternative:
      'Update in batches that commit separately: batchUpdate({ table, set, where, batchSize }) in a .ts backfill, or UPDATE ... WHERE id IN (SELECT id ... LIMIT n) repeated until no rows change.',
    waivable: true,
  },
  // Problems with the lint input itself; these cannot be waived.
  {
    id: 'syntax-error',
    category: 'lint',
    severity: 'warning',
    description:
      'A statement PostgreSQL 17’s parser (libpg-query) cannot read, so no rule checked it. It does not stop `plan` or `up`: PostgreSQL itself judges it when it runs.',
    safeAlternative:
      'Fix the SQL if it is wrong; if PostgreSQL accepts it (newer syntax), review it by hand, since the linter could not.',
    waivable: false,
  },
  {
    id: 'transaction-control',
    category: 'lint',
    severity: 'error',
    description:
      'BEGIN, COMMIT, ROLLBACK, SAVEPOINT or another transaction-control statement in a migration; the migrator refuses to run it.',
    safeAlternative:
      'Remove it: the migrator runs each migration in its own transaction, or statement by statement when one needs to run outside a transaction (CONCURRENTLY).',
    waivable: false,
  },
  {
    id: 'invalid-migration-name',
    category: 'lint',
    severity: 'error',
    description:
      'The file name does not follow {seq}_{scope}_{phase}_{description}.sql, so its phase is unknown.',
    safeAlternative: 'Rename the file, e.g. 001_user_auth_expand_add_currency_column.sql.',
    waivable: false,
  },
  {
    id: 'waiver-missing-reason',
    category: 'lint',
    severity: 'error',
    description: 'A `-- strata:allow <rule-id>` waiver without a reason.',
    safeAlternative: 'Write why the finding is safe here: -- strata:allow <rule-id> <reason>.',
    waivable: false,
  },
  {
    id: 'waiver-unknown-rule',
    category: 'lint',
    severity: 'error',
    description:
      'A `-- strata:allow` waiver that names no rule, an unknown rule, or one that cannot be waived.',
    safeAlternative: 'Use a rule id from the catalogue (`LINT_RULES`, LINT.md).',
    waivable: false,
  },
  {
    id: 'waiver-unused',
    category: 'lint',
    severity: 'warning',
    description:
      'A `-- strata:allow` waiver that waives nothing: the statement after it has no such finding.',
    safeAlternative:
      'Remove the waiver, or put it directly above (or at the end of the first line of) the statement it is for.',
    waivable: false,
  },
] as const satisfies readonly LintRule[];

/** The id of a rule in `LINT_RULES`. */
export type LintRuleId = (typeof LINT_RULES)[number]['id'];

const RULES_BY_ID = new Map<string, LintRule>(LINT_RULES.map((rule) => [rule.id, rule]));

/** The rule with this id, or `undefined` when there is none. */
export function findLintRule(id: string): LintRule | undefined {
  return RULES_BY_ID.get(id);
}

/** The rule with this id; for ids the linter itself produces. */
export function lintRule(id: LintRuleId): LintRule {
  const rule = RULES_BY_ID.get(id);
  if (rule === undefined) throw new Error(`unknown lint rule ${id}`);
  return rule;
}
