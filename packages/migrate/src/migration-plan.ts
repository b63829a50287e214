import { MigrationChecksumError } from './migration-errors.js';
import type { MigrationFile } from './migration-file.js';
import type { DeployRecord, HistoryRecord } from './migration-history.js';
import { MIGRATION_PHASES, type MigrationPhase } from './migration-phase.js';

/** Why a pending migration does not run now. */
export type BlockedBy =
  /** An earlier phase of the same scope is still pending. */
  | 'phase-order'
  /** A contract migration whose scope has no deploy recorded after its earlier phases. */
  | 'deploy-gate'
  /** A contract migration that is ready but only runs with `up({ postDeploy: true })`. */
  | 'post-deploy'
  /** Refused by the `guard` option (e.g. a schema_design.md gate). */
  | 'guard'
  /** A seq below an applied one of its scope of the same or a later phase (or waiting for such a migration). */
  | 'out-of-order'
  /** A contract whose removals statements recorded since the deploy mark still use (see README). */
  | 'evidence';

/** A pending migration that will not run, and why. */
export interface BlockedMigration {
  seq: number;
  name: string;
  scope: string;
  phase: MigrationPhase;
  blockedBy: BlockedBy;
  reason: string;
}

/**
 * An extra check on each migration `up` would run, in order. Return a reason to block it, or
 * undefined to let it run. `willRun` holds the migrations before it that this run applies.
 */
export type MigrationGuard = (
  migration: MigrationFile,
  context: {
    history: readonly HistoryRecord[];
    deploys: readonly DeployRecord[];
    willRun: readonly MigrationFile[];
  },
) => string | undefined;

export interface PlanInput {
  files: readonly MigrationFile[];
  history: readonly HistoryRecord[];
  deploys: readonly DeployRecord[];
  postDeploy: boolean;
  guard?: MigrationGuard | undefined;
}

export interface Plan {
  /** What `up` runs, in order. */
  run: MigrationFile[];
  blocked: BlockedMigration[];
}

const phaseIndex = (phase: MigrationPhase): number => MIGRATION_PHASES.indexOf(phase);

/** The applied migrations whose file changed or disappeared. */
export function checksumProblems(
  files: readonly MigrationFile[],
  history: readonly HistoryRecord[],
): { changed: string[]; missing: string[] } {
  const byName = new Map(files.map((file) => [file.name, file]));
  const changed: string[] = [];
  const missing: string[] = [];
  for (const record of history) {
    const file = byName.get(record.name);
    if (!file) missing.push(record.name);
    else if (file.checksum !== record.checksum) changed.push(file.fileName);
  }
  return { changed, missing };
}

/** Throws `MigrationChecksumError` naming every applied migration whose file changed or disappeared. */
export function assertChecksums(files: readonly MigrationFile[], history: readonly HistoryRecord[]): void {
  const { changed, missing } = checksumProblems(files, history);
  if (changed.length > 0 || missing.length > 0) throw new MigrationChecksumError(changed, missing);
}

/**
 * Decides what `up` runs: pending migrations in seq order, except those blocked by the phase
 * order of their scope (expand → backfill → validate → contract), by the deploy gate (a
 * contract runs only when a deploy was recorded after every earlier phase of its scope was
 * applied, and only with `postDeploy`), or by the guard. Pure: reads no database.
 */
export function planMigrations(input: PlanInput): Plan {
  const applied = new Set(input.history.map((record) => record.name));
  const pending = input.files.filter((file) => !applied.has(file.name));
  const willRun = new Set<string>();
  const run: MigrationFile[] = [];
  const blocked: BlockedMigration[] = [];
  const block = (file: MigrationFile, blockedBy: BlockedBy, reason: string) =>
    blocked.push({ seq: file.seq, name: file.name, scope: file.scope, phase: file.phase, blockedBy, reason });

  for (const file of pending) {
    const earlier = pending.find(
      (other) =>
        other.scope === file.scope &&
        !willRun.has(other.name) &&
        phaseIndex(other.phase) < phaseIndex(file.phase),
    );
    if (earlier) {
      block(
        file,
        'phase-order',
        `scope "${file.scope}" still has ${earlier.phase} migration ${earlier.fileName} pending; phases run in order expand → backfill → validate → contract`,
      );
      continue;
    }
    if (file.phase === 'contract') {
      const gate = deployGate(file, input, willRun);
      if (gate) {
        block(file, 'deploy-gate', gate);
        continue;
      }
      if (!input.postDeploy) {
        block(file, 'post-deploy', 'ready: contract migrations run only with up --post-deploy');
        continue;
      }
    }
    const refusal = input.guard?.(file, {
      history: input.history,
      deploys: input.deploys,
      willRun: [...run],
    });
    if (refusal) {
      block(file, 'guard', refusal);
      continue;
    }
    willRun.add(file.name);
    run.push(file);
  }
  return { run, blocked };
}

// A contract may run once a deploy was recorded after the last of its scope's earlier phases
// was applied: the code that stopped using what the contract removes is then live.
function deployGate(file: MigrationFile, input: PlanInput, willRun: ReadonlySet<string>): string | undefined {
  const howToRecord = 'deploy the application code, then record it with `deploy mark <release>` (markDeploy)';
  const runningNow = input.files
    .filter((other) => other.scope === file.scope && other.phase !== 'contract' && willRun.has(other.name))
    .at(-1);
  if (runningNow) {
    return `waits for a deploy after ${runningNow.phase} migration ${runningNow.fileName}, which runs in this same up; ${howToRecord}`;
  }
  const earlierPhases = input.history.filter(
    (record) => record.scope === file.scope && record.phase !== 'contract',
  );
  const last = earlierPhases.reduce<HistoryRecord | undefined>(
    (latest, record) => (latest === undefined || record.id > latest.id ? record : latest),
    undefined,
  );
  if (!last) {
    return input.deploys.length > 0
      ? undefined
      : `scope "${file.scope}" has no earlier phase, so it waits for any recorded deploy; ${howToRecord}`;
  }
  if (input.deploys.some((deploy) => deploy.historyHighWater >= last.id)) return undefined;
  return `waits for a deploy recorded after ${last.phase} migration ${last.name} (applied ${last.appliedAt.toISOString()}); ${howToRecord}`;
}
