import { InvalidConfigError } from '@strata/errors';
import type { MigrationFile } from '../migration-file.js';
import type { MigrationHistory, Queryable } from '../migration-history.js';
import { type CheckedPlan, holdBack } from '../migration-order.js';
import { addOverride } from '../migration-override.js';
import { migrationSeq } from '../migration-target.js';
import type { MigratorEvent } from '../migrator-event.js';
import { type ContractEvidence, evidenceRefusal, gatherContractEvidence } from './contract-evidence.js';

/** `check`: refuse on evidence, fall back to the gate without it; `require`: refuse without it too; `off`. */
export type EvidenceMode = 'check' | 'require' | 'off';

/**
 * The evidence check of `up`: each contract the plan would run is held back (`evidence`), with
 * the later migrations of its scope, while statements recorded since the deploy mark still use
 * what it removes — unless `override` gives the reason to run it, which is then recorded with
 * it. Without evidence (`unavailable`) the check says so once through `emit` and lets the
 * deploy gate decide, or, in `require` mode, holds the contract too.
 */
export async function holdContractsOnEvidence(input: {
  db: Queryable;
  history: MigrationHistory;
  plan: CheckedPlan;
  mode: EvidenceMode;
  override: string | undefined;
  emit: (event: MigratorEvent) => void;
}): Promise<CheckedPlan> {
  const contracts = input.plan.run.filter((file) => file.phase === 'contract');
  if (input.mode === 'off' || contracts.length === 0) return input.plan;
  const reports = await gatherContractEvidence(input.db, input.history, contracts);
  const hold = new Map<string, string>();
  let announced = false;
  for (const report of reports) {
    let refusal: string | undefined;
    if (report.verdict === 'in-use') refusal = evidenceRefusal(report);
    if (report.verdict === 'unavailable') {
      if (input.mode === 'require') {
        refusal = `no evidence that what it removes is unused (${report.reason}), and the evidence check is set to require it`;
      } else if (!announced) {
        announced = true;
        input.emit({ type: 'evidence-unavailable', reason: report.reason ?? 'no evidence' });
      }
    }
    if (refusal === undefined) continue;
    if (input.override === undefined) hold.set(report.migration, refusal);
    else
      addOverride(input.plan.overrides, report.migration, {
        check: 'evidence',
        reason: input.override,
        refused: refusal,
      });
  }
  return holdBack(
    input.plan,
    hold,
    'evidence',
    (held) => `waits for ${held.fileName}, held back by the evidence check`,
  );
}

/**
 * The evidence report for one migration, named by seq, name or file name; reads only. Throws
 * `InvalidConfigError` when no migration of the directory has that name.
 */
export async function evidenceFor(
  db: Queryable,
  history: MigrationHistory,
  files: readonly MigrationFile[],
  target: number | string,
): Promise<ContractEvidence> {
  const option = { config: 'evidence', path: 'migration' };
  const seq = migrationSeq(target, files, option);
  const file = files.find((candidate) => candidate.seq === seq);
  if (file === undefined) {
    throw new InvalidConfigError(option.config, [
      { path: option.path, message: `no migration with seq ${seq} in the directory` },
    ]);
  }
  const [report] = await gatherContractEvidence(db, history, [file]);
  return report as ContractEvidence;
}
