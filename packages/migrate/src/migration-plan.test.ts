import { describe, expect, test } from 'vitest';
import { MigrationChecksumError } from './migration-errors.js';
import type { MigrationFile } from './migration-file.js';
import type { DeployRecord, HistoryRecord } from './migration-history.js';
import { parseMigrationName } from './migration-name.js';
import { assertChecksums, planMigrations } from './migration-plan.js';

const file = (fileName: string): MigrationFile => ({
  ...parseMigrationName(fileName),
  path: `/migrations/${fileName}`,
  checksum: `sum-${fileName}`,
  kind: 'sql',
  sql: undefined,
  text: undefined,
});

let nextId = 1;
const applied = (migration: MigrationFile): HistoryRecord => ({
  id: nextId++,
  seq: migration.seq,
  name: migration.name,
  scope: migration.scope,
  phase: migration.phase,
  checksum: migration.checksum,
  appliedAt: new Date('2026-01-01T00:00:00Z'),
  durationMs: 1,
  appliedBy: 'test',
  databaseUser: 'test',
});
const deploy = (historyHighWater: number): DeployRecord => ({
  id: 1,
  release: 'v1',
  markedAt: new Date('2026-01-02T00:00:00Z'),
  markedBy: 'test',
  databaseUser: 'test',
  historyHighWater,
});

const expand = file('001_billing_expand_add_currency.sql');
const backfill = file('002_billing_backfill_fill_currency.sql');
const validate = file('003_billing_validate_currency_not_null.sql');
const contract = file('004_billing_contract_drop_old_currency.sql');
const otherExpand = file('005_search_expand_add_index.sql');
const files = [expand, backfill, validate, contract, otherExpand];

const names = (list: readonly { name: string }[]) => list.map((entry) => entry.name);

describe('planMigrations', () => {
  test('runs pending expand, backfill and validate in seq order; a contract waits for a deploy', () => {
    const plan = planMigrations({ files, history: [], deploys: [], postDeploy: false });
    expect(names(plan.run)).toEqual([expand.name, backfill.name, validate.name, otherExpand.name]);
    expect(plan.blocked).toEqual([
      expect.objectContaining({
        name: contract.name,
        blockedBy: 'deploy-gate',
        reason: expect.stringMatching(/runs in this same up/),
      }),
    ]);
  });

  test('a contract is blocked while no deploy was recorded after its validate', () => {
    const history = [expand, backfill, validate].map(applied);
    const plan = planMigrations({
      files,
      history,
      deploys: [deploy((history[2]?.id ?? 0) - 1)],
      postDeploy: true,
    });
    expect(plan.blocked).toEqual([
      expect.objectContaining({
        name: contract.name,
        blockedBy: 'deploy-gate',
        reason: expect.stringContaining(
          `waits for a deploy recorded after validate migration ${validate.name}`,
        ),
      }),
    ]);
  });

  test('after a deploy recorded after the validate, the contract runs with postDeploy only', () => {
    const history = [expand, backfill, validate].map(applied);
    const deploys = [deploy(history[2]?.id ?? 0)];
    const withoutFlag = planMigrations({ files, history, deploys, postDeploy: false });
    expect(withoutFlag.blocked).toEqual([
      expect.objectContaining({ name: contract.name, blockedBy: 'post-deploy' }),
    ]);
    const withFlag = planMigrations({ files, history, deploys, postDeploy: true });
    expect(names(withFlag.run)).toEqual([contract.name, otherExpand.name]);
    expect(withFlag.blocked).toEqual([]);
  });

  test('a migration whose scope has an earlier phase pending is refused with the reason', () => {
    // The validate has a lower seq than the expand it depends on.
    const lateExpand = file('006_billing_expand_add_more.sql');
    const plan = planMigrations({
      files: [expand, validate, lateExpand].sort((a, b) => a.seq - b.seq),
      history: [applied(expand)],
      deploys: [],
      postDeploy: false,
    });
    expect(names(plan.run)).toEqual([lateExpand.name]);
    expect(plan.blocked).toEqual([
      expect.objectContaining({
        name: validate.name,
        blockedBy: 'phase-order',
        reason: expect.stringContaining(`expand migration ${lateExpand.fileName} pending`),
      }),
    ]);
  });

  test('a scope with only a contract needs some recorded deploy', () => {
    const lone = file('010_legacy_contract_drop_table.sql');
    expect(planMigrations({ files: [lone], history: [], deploys: [], postDeploy: true }).blocked).toEqual([
      expect.objectContaining({ blockedBy: 'deploy-gate' }),
    ]);
    expect(
      names(planMigrations({ files: [lone], history: [], deploys: [deploy(0)], postDeploy: true }).run),
    ).toEqual([lone.name]);
  });

  test('a guard can block a migration with its own reason', () => {
    const plan = planMigrations({
      files: [expand],
      history: [],
      deploys: [],
      postDeploy: false,
      guard: (migration) => (migration.phase === 'expand' ? 'schema_design.md says no' : undefined),
    });
    expect(plan.run).toEqual([]);
    expect(plan.blocked).toEqual([
      expect.objectContaining({ blockedBy: 'guard', reason: 'schema_design.md says no' }),
    ]);
  });
});

describe('assertChecksums', () => {
  test('names applied migrations whose file changed or is missing', () => {
    const history = [applied(expand), applied(backfill), applied(validate)];
    expect(() => assertChecksums([expand, backfill, validate], history)).not.toThrow();
    const edited = { ...backfill, checksum: 'different' };
    let error: unknown;
    try {
      assertChecksums([expand, edited], history);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MigrationChecksumError);
    expect((error as MigrationChecksumError).changed).toEqual([backfill.fileName]);
    expect((error as MigrationChecksumError).missing).toEqual([validate.name]);
    expect((error as MigrationChecksumError).message).toMatch(
      /changed after being applied: 002_billing_backfill_fill_currency.sql; applied but missing from the directory: 003_billing_validate_currency_not_null/,
    );
  });
});
