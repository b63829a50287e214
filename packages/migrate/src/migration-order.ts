import type { MigrationFile } from './migration-file.js';
import type { HistoryRecord } from './migration-history.js';
import { addOverride, type OverridesByName } from './migration-override.js';
import { MIGRATION_PHASES } from './migration-phase.js';
import type { BlockedBy, BlockedMigration, Plan } from './migration-plan.js';

/** A plan after the checks that may hold migrations back, with the overrides to record. */
export interface CheckedPlan extends Plan {
  overrides: OverridesByName;
}

/**
 * Moves the migrations `hold` names from `run` to `blocked`, and with each one the later
 * migrations of its scope in `run` (they were planned to run after it), in seq order.
 */
export function holdBack(
  plan: CheckedPlan,
  hold: ReadonlyMap<string, string>,
  blockedBy: BlockedBy,
  waitingReason: (held: MigrationFile) => string,
): CheckedPlan {
  const run: MigrationFile[] = [];
  const blocked: BlockedMigration[] = [...plan.blocked];
  const heldScopes = new Map<string, MigrationFile>();
  for (const file of plan.run) {
    const reason = hold.get(file.name);
    const earlier = heldScopes.get(file.scope);
    if (reason === undefined && earlier === undefined) {
      run.push(file);
      continue;
    }
    if (earlier === undefined) heldScopes.set(file.scope, file);
    const { seq, name, scope, phase } = file;
    blocked.push({
      seq,
      name,
      scope,
      phase,
      blockedBy,
      reason: reason ?? waitingReason(earlier as MigrationFile),
    });
  }
  blocked.sort((a, b) => a.seq - b.seq);
  return { run, blocked, overrides: plan.overrides };
}

/**
 * The order check against the database's history: a pending migration whose seq is below an
 * applied one of its scope of the same or a later phase would run after it — the order its
 * files give broken, as when two branches numbered migrations independently. (An applied
 * migration of an earlier phase with a higher seq is the phase order at work: it ran first
 * by design.) It is held back (`out-of-order`),
 * with the later migrations of its scope, unless `reason` says the order is intended; the
 * reason is then recorded with each such migration.
 */
export function holdOutOfOrder(plan: Plan, history: readonly HistoryRecord[], reason?: string): CheckedPlan {
  const overrides: OverridesByName = new Map();
  const hold = new Map<string, string>();
  for (const file of plan.run) {
    // An applied migration of an earlier phase may have a higher seq: the phase order runs it first.
    const last = history
      .filter(
        (record) =>
          record.scope === file.scope &&
          record.seq > file.seq &&
          MIGRATION_PHASES.indexOf(record.phase) >= MIGRATION_PHASES.indexOf(file.phase),
      )
      .reduce<HistoryRecord | undefined>(
        (top, record) => (top && top.seq > record.seq ? top : record),
        undefined,
      );
    if (last === undefined) continue;
    const refusal = `${file.fileName} (seq ${file.seq}) sorts before ${last.name} (seq ${last.seq}), already applied in scope "${file.scope}": here it would run after it, against the order of the files`;
    if (reason === undefined) {
      hold.set(
        file.name,
        `${refusal}. Renumber it after the last migration (strata migrate renumber --base <ref>), or, if the order is intended, give the reason (up --allow-out-of-order "<reason>")`,
      );
    } else {
      addOverride(overrides, file.name, { check: 'out-of-order', reason, refused: refusal });
    }
  }
  return holdBack(
    { ...plan, overrides },
    hold,
    'out-of-order',
    (held) => `waits for ${held.fileName}, held back as out of order`,
  );
}
