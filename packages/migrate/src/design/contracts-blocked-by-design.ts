import { designPhase } from './check-design.js';
import type { DesignGate, DesignMigration, SchemaDesign } from './schema-design.js';

/** A recorded deploy (`deploy mark <release>`), as the migrator's deploy table holds it. */
export interface DesignDeployRecord {
  release: string;
  /** The highest history id when the deploy was marked: migrations up to it ran before it. */
  historyHighWater: number;
}

/** An applied migration, as the migrator's history table holds it. */
export interface DesignAppliedMigration {
  /** Increases with every application. */
  id: number;
  /** The file name without its extension, e.g. `003_billing_validate_currency`. */
  name: string;
}

/** A contract migration `up --post-deploy` must not run yet, and why. */
export interface BlockedContract {
  /** The name without extension, as the history table records it. */
  name: string;
  /** As the design writes it. */
  fileName: string;
  /** The gate not yet passed. */
  gate: DesignGate;
  reason: string;
}

const withoutExtension = (name: string): string => name.replace(/\.(?:sql|ts|js)$/, '');

/**
 * The contract migrations the design places after a `[CODE DEPLOY]` gate that has not been
 * passed. A gate is passed when every migration the design lists before it has been applied
 * and a deploy was recorded after the last of them (for `[CODE DEPLOY: v2.4.0]`, a deploy of
 * release `v2.4.0`). The migrator refuses to run the returned migrations. Contract migrations
 * the design puts before any gate are not blocked here: `checkDesign` reports them.
 */
export function contractsBlockedByDesign(
  design: SchemaDesign,
  recordedDeploys: readonly DesignDeployRecord[],
  appliedMigrations: readonly DesignAppliedMigration[],
): BlockedContract[] {
  const applied = new Map(appliedMigrations.map((record) => [withoutExtension(record.name), record.id]));
  const blocked: BlockedContract[] = [];
  const before: DesignMigration[] = [];
  let closedGate: { gate: DesignGate; reason: string } | undefined;

  for (const entry of design.entries) {
    if (entry.kind === 'gate') {
      // Once one gate is closed, every later gate is too: report the first.
      closedGate ??= gateProblem(entry, before, applied, recordedDeploys);
      continue;
    }
    before.push(entry);
    if (closedGate && designPhase(entry) === 'contract') {
      blocked.push({
        name: entry.migration.name,
        fileName: entry.fileName,
        gate: closedGate.gate,
        reason: closedGate.reason,
      });
    }
  }
  return blocked;
}

function gateProblem(
  gate: DesignGate,
  before: readonly DesignMigration[],
  applied: ReadonlyMap<string, number>,
  deploys: readonly DesignDeployRecord[],
): { gate: DesignGate; reason: string } | undefined {
  const where = `the [CODE DEPLOY${gate.release ? `: ${gate.release}` : ''}] gate on line ${gate.line} of the design`;
  const pending = before.filter((entry) => !applied.has(entry.migration.name));
  if (pending.length > 0) {
    const names = pending.map((entry) => entry.migration.name).join(', ');
    return { gate, reason: `${where} is not passed: ${names} must be applied and deployed first.` };
  }
  const lastApplied = Math.max(0, ...before.map((entry) => applied.get(entry.migration.name) ?? 0));
  const candidates = deploys.filter(
    (deploy) => gate.release === undefined || deploy.release === gate.release,
  );
  if (candidates.some((deploy) => deploy.historyHighWater >= lastApplied)) return undefined;
  const release = gate.release ? `release ${gate.release}` : 'a release';
  return {
    gate,
    reason: `${where} is not passed: no deploy of ${release} has been recorded since the migrations before it were applied; deploy the code, then run \`deploy mark ${gate.release ?? '<release>'}\`.`,
  };
}
