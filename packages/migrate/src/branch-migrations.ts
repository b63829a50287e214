import { MigrationNameError } from './migration-errors.js';
import { isMigrationCandidate } from './migration-file.js';
import { type MigrationName, parseMigrationName } from './migration-name.js';
import { MIGRATION_PHASES } from './migration-phase.js';

/** The migrations folder on both sides of a merge, as file names. */
export interface BranchMigrationsInput {
  /** The folder on the base the branch merges into (e.g. from `git ls-tree <ref>`). */
  base: readonly string[];
  /** The folder on the branch (the working tree). */
  branch: readonly string[];
  /**
   * The folder where the branch left the base (`git merge-base`): tells a file the branch
   * removed from one the base added since. Without it, removals are not reported.
   */
  forkPoint?: readonly string[] | undefined;
}

/** What makes a merge of the branch's migrations unsafe. */
export type BranchFindingKind = 'duplicate-seq' | 'before-base' | 'phase-order' | 'removed' | 'invalid-name';

/** One problem of the merge, on a file of the branch (or, for `removed`, of the base). */
export interface BranchFinding {
  kind: BranchFindingKind;
  fileName: string;
  /** The file on the other side it conflicts with, when there is one. */
  other: string | null;
  message: string;
}

/** The comparison of the branch's migrations with the base's. */
export interface BranchComparison {
  /** Files of the branch the base does not have: what the merge adds, in seq order. */
  added: string[];
  /** The highest seq on the base; null when the base has no migration. */
  baseLastSeq: number | null;
  findings: BranchFinding[];
}

/** A file to rename so the branch's migrations come after the base's. */
export interface Renumbering {
  from: string;
  to: string;
}

const phaseIndex = (name: MigrationName): number => MIGRATION_PHASES.indexOf(name.phase);
const bySeq = (a: MigrationName, b: MigrationName): number =>
  a.seq - b.seq || a.fileName.localeCompare(b.fileName);
const RENUMBER =
  'renumber the branch’s new migrations after the base’s last one (strata migrate renumber --base <ref>)';

function parsed(names: readonly string[], invalid?: BranchFinding[]): MigrationName[] {
  return names.filter(isMigrationCandidate).flatMap((fileName) => {
    try {
      return [parseMigrationName(fileName)];
    } catch (error) {
      if (!(error instanceof MigrationNameError)) throw error;
      invalid?.push({ kind: 'invalid-name', fileName, other: null, message: error.message });
      return [];
    }
  });
}

/**
 * Compares a branch's migrations folder with the base it merges into, without git or a
 * database: a seq the merge would hold twice (`duplicate-seq`), a file new on the branch that
 * sorts before files already on the base (`before-base`: databases that ran those would run it
 * after them, out of order), a new file the merge puts after a file of its scope with an
 * earlier phase — a contract before its expand (`phase-order`), a base file the branch removed
 * or renamed (`removed`, with `forkPoint`), and new files with invalid names.
 */
export function compareBranchMigrations(input: BranchMigrationsInput): BranchComparison {
  const findings: BranchFinding[] = [];
  const baseNames = new Set(input.base);
  const base = parsed(input.base);
  const added = parsed(
    input.branch.filter((name) => !baseNames.has(name)),
    findings,
  ).sort(bySeq);
  const baseLastSeq = base.length === 0 ? null : Math.max(...base.map((name) => name.seq));
  const last = base.filter((name) => name.seq === baseLastSeq).sort(bySeq)[0];

  if (input.forkPoint !== undefined) {
    const branchNames = new Set(input.branch);
    for (const fileName of input.forkPoint.filter(isMigrationCandidate)) {
      if (baseNames.has(fileName) && !branchNames.has(fileName)) {
        findings.push({
          kind: 'removed',
          fileName,
          other: null,
          message: `The branch removes or renames ${fileName}, which the base has: databases that applied it refuse to migrate (its file is missing). Restore it; add a new migration instead.`,
        });
      }
    }
  }

  const merged = [...base, ...added].sort(bySeq);
  for (const file of added) {
    const twin = merged.find((other) => other.seq === file.seq && other.fileName !== file.fileName);
    if (twin) {
      const side = baseNames.has(twin.fileName) ? 'on the base' : 'also new on the branch';
      findings.push({
        kind: 'duplicate-seq',
        fileName: file.fileName,
        other: twin.fileName,
        message: `${file.fileName} takes seq ${file.seq}, which ${twin.fileName} (${side}) has: after the merge one of them is skipped on databases that ran the other. ${capitalised(RENUMBER)}.`,
      });
    } else if (baseLastSeq !== null && last && file.seq < baseLastSeq) {
      findings.push({
        kind: 'before-base',
        fileName: file.fileName,
        other: last.fileName,
        message: `${file.fileName} (seq ${file.seq}) sorts before ${last.fileName} (seq ${baseLastSeq}), already on the base: databases that applied the base's migrations would run it after them, out of order (\`up\` holds it back). ${capitalised(RENUMBER)}.`,
      });
    }
    const earlierPhaseAfter = merged.find(
      (other) => other.scope === file.scope && bySeq(other, file) > 0 && phaseIndex(other) < phaseIndex(file),
    );
    if (earlierPhaseAfter) {
      findings.push({
        kind: 'phase-order',
        fileName: file.fileName,
        other: earlierPhaseAfter.fileName,
        message: `The merge puts ${file.phase} ${file.fileName} before ${earlierPhaseAfter.phase} ${earlierPhaseAfter.fileName} of scope "${file.scope}"; a scope's phases run expand → backfill → validate → contract. Give ${file.fileName} a seq after it.`,
      });
    }
  }
  return { added: added.map((name) => name.fileName), baseLastSeq, findings };
}

const capitalised = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/**
 * The renames that put the branch's new migrations after the base's last one, in their
 * order: a file already after every earlier one keeps its seq, the others take the next free
 * seq (padded to the digits the file used). Empty when nothing needs to move.
 */
export function renumberBranchMigrations(input: Omit<BranchMigrationsInput, 'forkPoint'>): Renumbering[] {
  const { added, baseLastSeq } = compareBranchMigrations(input);
  let last = baseLastSeq ?? 0;
  const renames: Renumbering[] = [];
  for (const file of parsed(added)) {
    const seq = file.seq > last ? file.seq : last + 1;
    last = seq;
    if (seq === file.seq) continue;
    const seqText = String(seq).padStart(file.seqText.length, '0');
    renames.push({ from: file.fileName, to: `${seqText}${file.fileName.slice(file.seqText.length)}` });
  }
  return renames;
}

const stem = (fileName: string): string => fileName.replace(/\.(?:sql|ts|js)$/, '');
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `text` (a schema_design.md) with every mention of a renamed migration — with or without
 * its extension, as a whole name — changed to the new name, all at once (so 007 → 008 and
 * 008 → 009 do not chain).
 */
export function renameMigrationReferences(text: string, renames: readonly Renumbering[]): string {
  if (renames.length === 0) return text;
  const byStem = new Map(renames.map((rename) => [stem(rename.from), stem(rename.to)]));
  const alternatives = [...byStem.keys()].sort((a, b) => b.length - a.length).map(escaped);
  const pattern = new RegExp(`(?<![A-Za-z0-9_])(${alternatives.join('|')})(?![A-Za-z0-9_])`, 'g');
  return text.replace(pattern, (match) => byStem.get(match) ?? match);
}
