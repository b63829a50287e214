import { MigrationNameError } from '../migration-errors.js';
import { type MigrationName, parseMigrationName } from '../migration-name.js';
import { MIGRATION_PHASES, type MigrationPhase } from '../migration-phase.js';
import type { DesignMigration, SchemaDesign } from './schema-design.js';

/** What is wrong between a design's plan and the migration files. */
export type DesignFindingKind =
  | 'missing'
  | 'extra'
  | 'out-of-order'
  | 'wrong-phase'
  | 'seq-mismatch'
  | 'gate';

/** One disagreement between `schema_design.md` and the migrations directory. */
export interface DesignFinding {
  kind: DesignFindingKind;
  /** The migration concerned: the file's name, or the design's name when there is no file. */
  fileName: string;
  /** 1-based line in the design, when the design mentions it. */
  designLine: number | undefined;
  /** What is wrong and what to change. */
  message: string;
}

const PHASE_ORDER = new Map<MigrationPhase, number>(MIGRATION_PHASES.map((phase, index) => [phase, index]));

/** The phase a design gives a migration: the one it states, or the one in the name it writes. */
export const designPhase = (entry: DesignMigration): MigrationPhase =>
  entry.declaredPhase ?? entry.migration.phase;

const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

/**
 * Compares a design's plan with the migration file names found on disk and reports
 * migrations the design lists but that do not exist (`missing`), files of the design's
 * scopes it does not list (`extra`), files whose sequence order contradicts the design's
 * order (`out-of-order`), files in a phase the design does not give them (`wrong-phase`),
 * files numbered differently from the design (`seq-mismatch`), and contract migrations the
 * design does not place after a `[CODE DEPLOY]` gate (`gate`). Files whose names do not
 * parse are left to the migrator, which rejects them. An empty result means they agree.
 */
export function checkDesign(design: SchemaDesign, migrationFileNames: readonly string[]): DesignFinding[] {
  const findings: DesignFinding[] = [];
  const files = migrationFileNames.flatMap((path): MigrationName[] => {
    try {
      return [parseMigrationName(baseName(path))];
    } catch (error) {
      if (error instanceof MigrationNameError) return [];
      throw error;
    }
  });
  const planned = design.entries.filter((entry): entry is DesignMigration => entry.kind === 'migration');

  // Pair each planned migration with its file: by name, else by scope and description
  // (the same change, renumbered or moved to another phase).
  const matched = new Map<DesignMigration, MigrationName>();
  const used = new Set<MigrationName>();
  for (const entry of planned) {
    const file = files.find((candidate) => !used.has(candidate) && candidate.name === entry.migration.name);
    if (file) {
      matched.set(entry, file);
      used.add(file);
    }
  }
  for (const entry of planned) {
    if (matched.has(entry)) continue;
    const file = files.find(
      (candidate) =>
        !used.has(candidate) &&
        candidate.scope === entry.migration.scope &&
        candidate.description === entry.migration.description,
    );
    if (file) {
      matched.set(entry, file);
      used.add(file);
    }
  }

  for (const entry of planned) {
    const file = matched.get(entry);
    if (file === undefined) {
      findings.push({
        kind: 'missing',
        fileName: entry.fileName,
        designLine: entry.line,
        message: `The design plans ${entry.fileName} (line ${entry.line}) but there is no such migration file.`,
      });
      continue;
    }
    const phase = designPhase(entry);
    if (file.phase !== phase) {
      findings.push({
        kind: 'wrong-phase',
        fileName: file.fileName,
        designLine: entry.line,
        message: `${file.fileName} is ${file.phase === 'expand' ? 'an' : 'a'} ${file.phase} migration but the design (line ${entry.line}) gives it the ${phase} phase.`,
      });
    }
    if (file.seq !== entry.migration.seq) {
      findings.push({
        kind: 'seq-mismatch',
        fileName: file.fileName,
        designLine: entry.line,
        message: `${file.fileName} has sequence ${file.seqText} but the design (line ${entry.line}) numbers it ${entry.migration.seqText}.`,
      });
    }
  }

  const scopes = new Set(planned.map((entry) => entry.migration.scope));
  for (const file of files) {
    if (used.has(file) || !scopes.has(file.scope)) continue;
    findings.push({
      kind: 'extra',
      fileName: file.fileName,
      designLine: undefined,
      message: `${file.fileName} belongs to scope ${file.scope} but the design does not plan it; add it to the design or remove it.`,
    });
  }

  // Files run in sequence order, so that order must be the design's.
  const inDesignOrder = planned.flatMap((entry) => {
    const file = matched.get(entry);
    return file ? [{ entry, file }] : [];
  });
  for (let i = 1; i < inDesignOrder.length; i++) {
    const before = inDesignOrder[i - 1];
    const after = inDesignOrder[i];
    if (before === undefined || after === undefined || before.file.seq < after.file.seq) continue;
    findings.push({
      kind: 'out-of-order',
      fileName: after.file.fileName,
      designLine: after.entry.line,
      message: `The design puts ${after.file.fileName} (line ${after.entry.line}) after ${before.file.fileName} (line ${before.entry.line}), but its sequence ${after.file.seqText} runs it first; renumber one of them.`,
    });
  }

  findings.push(...checkDesignOrder(design));
  return findings;
}

/**
 * The design against itself: per scope the phases follow expand → backfill → validate →
 * contract, and a `[CODE DEPLOY]` gate separates each contract migration from its scope's
 * earlier phases.
 */
function checkDesignOrder(design: SchemaDesign): DesignFinding[] {
  const findings: DesignFinding[] = [];
  const lastByScope = new Map<string, DesignMigration>();
  // Per scope: its latest expand/backfill/validate migration and how many gates preceded it.
  const lastBeforeContract = new Map<string, { entry: DesignMigration; gatesBefore: number }>();
  let gatesSoFar = 0;
  for (const entry of design.entries) {
    if (entry.kind === 'gate') {
      gatesSoFar++;
      continue;
    }
    const scope = entry.migration.scope;
    const phase = designPhase(entry);
    const previous = lastByScope.get(scope);
    if (previous && (PHASE_ORDER.get(phase) ?? 0) < (PHASE_ORDER.get(designPhase(previous)) ?? 0)) {
      findings.push({
        kind: 'out-of-order',
        fileName: entry.fileName,
        designLine: entry.line,
        message: `The design lists ${entry.fileName} (${phase}, line ${entry.line}) after ${previous.fileName} (${designPhase(previous)}, line ${previous.line}); a scope's phases run expand → backfill → validate → contract.`,
      });
    }
    lastByScope.set(scope, entry);
    if (phase !== 'contract') {
      lastBeforeContract.set(scope, { entry, gatesBefore: gatesSoFar });
      continue;
    }
    const earlier = lastBeforeContract.get(scope);
    const gated = earlier ? gatesSoFar > earlier.gatesBefore : gatesSoFar > 0;
    if (!gated) {
      findings.push({
        kind: 'gate',
        fileName: entry.fileName,
        designLine: entry.line,
        message: earlier
          ? `The design puts contract migration ${entry.fileName} (line ${entry.line}) after ${earlier.entry.fileName} (line ${earlier.entry.line}) with no [CODE DEPLOY] gate between them.`
          : `The design puts contract migration ${entry.fileName} (line ${entry.line}) before any [CODE DEPLOY] gate.`,
      });
    }
  }
  return findings;
}
