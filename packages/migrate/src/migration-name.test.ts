import { describe, expect, test } from 'vitest';
import { DuplicateMigrationSeqError, MigrationNameError } from './migration-errors.js';
import { assertUniqueSeqs, parseMigrationName } from './migration-name.js';

describe('parseMigrationName', () => {
  test('splits {seq}_{scope}_{phase}_{description}.sql, with a scope that contains "_"', () => {
    expect(parseMigrationName('001_user_auth_expand_add_currency_column.sql')).toEqual({
      fileName: '001_user_auth_expand_add_currency_column.sql',
      name: '001_user_auth_expand_add_currency_column',
      seq: 1,
      seqText: '001',
      scope: 'user_auth',
      phase: 'expand',
      description: 'add_currency_column',
      extension: '.sql',
    });
  });

  test('accepts ticket-id scopes, every phase, .ts and .js, and long seqs', () => {
    expect(parseMigrationName('0042_PROJ-123_backfill_fill_currency.ts')).toMatchObject({
      seq: 42,
      scope: 'PROJ-123',
      phase: 'backfill',
      extension: '.ts',
    });
    expect(parseMigrationName('1000_billing_validate_currency_not_null.js').phase).toBe('validate');
    expect(parseMigrationName('003_billing_contract_drop_old_price_2.sql')).toMatchObject({
      phase: 'contract',
      description: 'drop_old_price_2',
    });
  });

  test('the phase is the first phase word after the seq; later phase words belong to the description', () => {
    expect(parseMigrationName('007_orders_expand_backfill_helper_table.sql')).toMatchObject({
      scope: 'orders',
      phase: 'expand',
      description: 'backfill_helper_table',
    });
  });

  test('takes the base name when given a path', () => {
    expect(parseMigrationName('db/migrations/001_a_expand_b.sql').fileName).toBe('001_a_expand_b.sql');
  });

  test.each([
    ['001_a_expand_b.txt', 'extension'],
    ['001_a_expand_b.SQL', 'extension'],
    ['001_a_expand_b.d.ts', 'extension'],
    ['01_a_expand_b.sql', 'seq'],
    ['abc_a_expand_b.sql', 'seq'],
    ['001_expand_b.sql', 'scope'],
    ['001_9lives_expand_b.sql', 'scope'],
    ['001_a__b_expand_c.sql', 'scope'],
    ['001_user.auth_expand_b.sql', 'scope'],
    ['001_a_migrate_b.sql', 'phase'],
    ['001_a_Expand_b.sql', 'phase'],
    ['001_a_expand.sql', 'description'],
    ['001_a_expand_.sql', 'description'],
    ['001_a_expand_AddColumn.sql', 'description'],
    ['001_a_expand_add-column.sql', 'description'],
    ['001_a_expand_add__column.sql', 'description'],
  ])('%s breaks the %s rule, and the error names the file and the rule', (fileName, rule) => {
    let error: unknown;
    try {
      parseMigrationName(fileName);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MigrationNameError);
    const nameError = error as MigrationNameError;
    expect(nameError.code).toBe('MIGRATION_NAME_INVALID');
    expect(nameError.rule).toBe(rule);
    expect(nameError.fileName).toBe(fileName);
    expect(nameError.message).toContain(`"${fileName}"`);
    expect(nameError.message).toContain(`rule: ${rule}`);
  });
});

describe('assertUniqueSeqs', () => {
  test('passes when every seq is distinct', () => {
    const names = ['001_a_expand_b.sql', '002_a_backfill_b.ts', '010_c_expand_d.sql'].map(parseMigrationName);
    expect(() => assertUniqueSeqs(names)).not.toThrow();
  });

  test('names both files of a duplicate seq, across scopes and zero padding', () => {
    const names = ['001_a_expand_b.sql', '002_x_expand_y.sql', '0001_c_validate_d.sql'].map(
      parseMigrationName,
    );
    let error: unknown;
    try {
      assertUniqueSeqs(names);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DuplicateMigrationSeqError);
    expect(error).toBeInstanceOf(MigrationNameError);
    const duplicate = error as DuplicateMigrationSeqError;
    expect(duplicate.code).toBe('DUPLICATE_MIGRATION_SEQ');
    expect(duplicate.pairs).toEqual([['001_a_expand_b.sql', '0001_c_validate_d.sql']]);
    expect(duplicate.message).toContain('"001_a_expand_b.sql" and "0001_c_validate_d.sql"');
  });
});
