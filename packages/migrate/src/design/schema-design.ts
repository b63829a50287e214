import { readFile } from 'node:fs/promises';
import { MigrationNameError } from '../migration-errors.js';
import { type MigrationName, parseMigrationName } from '../migration-name.js';
import { MIGRATION_PHASES, type MigrationPhase } from '../migration-phase.js';
import { SchemaDesignError } from './schema-design-error.js';

/** A migration the design plans, in the design's order. */
export interface DesignMigration {
  kind: 'migration';
  /** The name as the design writes it, e.g. `001_billing_expand_add_currency.sql`. */
  fileName: string;
  /** Parsed from `fileName`: seq, scope, phase, description, and `name` (without extension). */
  migration: Omit<MigrationName, 'fileName' | 'extension'>;
  /** The phase the design states for it (a Phase column or a phase heading), if any. */
  declaredPhase: MigrationPhase | undefined;
  /** 1-based line in the design. */
  line: number;
}

/** A `[CODE DEPLOY]` marker: application code is deployed at this point of the plan. */
export interface DesignGate {
  kind: 'gate';
  /** The release named in `[CODE DEPLOY: v2.4.0]`, if any: only that release passes the gate. */
  release: string | undefined;
  line: number;
}

export type DesignEntry = DesignMigration | DesignGate;

/** The migration plan of a `schema_design.md`. */
export interface SchemaDesign {
  /** Where it was read from (or the source name given to `parseSchemaDesign`). */
  path: string;
  /** Migrations and deploy gates, in the order the design lists them. */
  entries: DesignEntry[];
}

const PLAN_HEADING = /migration|deploy (?:order|plan|sequence)|rollout/i;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^\s{0,3}(```|~~~)/;
// `[CODE DEPLOY]`, `[CODE DEPLOY: v2.4.0]`; case-insensitive.
const GATE = /^\[\s*code\s+deploy\s*(?::\s*([^\]]*?)\s*)?\]/i;
// A migration name: seq, then `_`-joined name parts, optionally an extension.
const MIGRATION_TOKEN = /(?<![\w.-])\d{3,}_[A-Za-z0-9_-]+(?:\.(?:sql|ts|js))?(?![\w-])/g;
const HAS_MIGRATION_TOKEN = new RegExp(MIGRATION_TOKEN.source);
const PHASE_WORD = new RegExp(`\\b(${MIGRATION_PHASES.join('|')})\\b`, 'gi');
const EXPLICIT_PHASE = new RegExp(
  `\\((${MIGRATION_PHASES.join('|')})\\)|phase\\s*[:=]\\s*(${MIGRATION_PHASES.join('|')})\\b`,
  'i',
);

/**
 * Reads the migration plan out of a `schema_design.md` (see LINT.md, "schema_design.md"):
 * the migration file names in order, their phases, and where `[CODE DEPLOY]` gates sit.
 * Throws `SchemaDesignError` naming the file when it cannot be read or has no plan.
 */
export async function readSchemaDesign(path: string): Promise<SchemaDesign> {
  let markdown: string;
  try {
    markdown = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SchemaDesignError(
      path,
      code === 'ENOENT' ? 'the file does not exist' : `cannot be read (${code ?? String(error)})`,
      { cause: error },
    );
  }
  return parseSchemaDesign(markdown, path);
}

/**
 * Parses a design's markdown. The plan is taken from the first section whose heading
 * mentions migrations (`## Migration plan`, `## Migrations`, `## Deploy order`, ...) and
 * lists at least one migration; a design without such a heading is read whole. In it, every
 * list item, table row, heading or line naming a migration file adds that migration, and
 * every one that starts with `[CODE DEPLOY]` adds a deploy gate.
 */
export function parseSchemaDesign(markdown: string, path = 'schema_design.md'): SchemaDesign {
  const lines = markdown.split(/\r?\n/);
  const sections = planSections(lines);
  for (const [start, end] of sections) {
    const entries = readPlan(lines, start, end, path);
    if (entries.some((entry) => entry.kind === 'migration')) return { path, entries };
  }
  const entries = readPlan(lines, 0, lines.length, path);
  if (!entries.some((entry) => entry.kind === 'migration')) {
    throw new SchemaDesignError(
      path,
      'no migration plan found. List the migration files in order under a heading such as "## Migration plan" (a list or a table), with a "[CODE DEPLOY]" line where the application is deployed, e.g. "1. `001_billing_expand_add_currency.sql`".',
    );
  }
  return { path, entries };
}

// [start, end) line ranges of the sections whose heading names a migration plan.
function planSections(lines: readonly string[]): [number, number][] {
  const headings: { index: number; level: number; text: string }[] = [];
  let inFence = false;
  lines.forEach((line, index) => {
    if (FENCE.test(line)) inFence = !inFence;
    const match = inFence ? null : HEADING.exec(line);
    if (match) headings.push({ index, level: match[1]?.length ?? 1, text: match[2] ?? '' });
  });
  return headings
    .filter((heading) => PLAN_HEADING.test(heading.text))
    .map((heading) => {
      const next = headings.find((h) => h.index > heading.index && h.level <= heading.level);
      return [heading.index + 1, next?.index ?? lines.length];
    });
}

interface TableState {
  phaseColumn: number | undefined;
}

function readPlan(lines: readonly string[], start: number, end: number, path: string): DesignEntry[] {
  const entries: DesignEntry[] = [];
  const seen = new Set<string>();
  let headingPhase: MigrationPhase | undefined;
  let table: TableState | undefined;
  let inFence = false;

  for (let index = start; index < end; index++) {
    const raw = lines[index] ?? '';
    const line = index + 1;
    if (FENCE.test(raw)) {
      inFence = !inFence;
      continue;
    }
    // Inside a code block `# ...` is a comment, not a heading; names and gates still count.
    const heading = inFence ? null : HEADING.exec(raw);
    const isTableRow = raw.trim().startsWith('|');
    if (!isTableRow) table = undefined;

    let cells: string[] | undefined;
    if (isTableRow) {
      cells = tableCells(raw);
      if (cells.every((cell) => /^:?-{2,}:?$/.test(cell))) continue; // the |---| separator
      if (table === undefined) {
        // The first row of a table is its header.
        const phaseColumn = cells.findIndex((cell) => /^phase$/i.test(stripMarkup(cell)));
        table = { phaseColumn: phaseColumn === -1 ? undefined : phaseColumn };
        if (!HAS_MIGRATION_TOKEN.test(raw)) continue;
      }
    }
    const gateTexts = cells ?? [heading ? (heading[2] ?? '') : raw];
    const gate = gateTexts.map((text) => GATE.exec(stripMarkup(text))).find((match) => match);
    const names = [...raw.matchAll(MIGRATION_TOKEN)].map((match) => match[0]);

    if (gate && names.length === 0) {
      entries.push({ kind: 'gate', release: gate[1] || undefined, line });
      continue;
    }
    if (heading) {
      headingPhase = singlePhase(heading[2] ?? '');
      if (names.length === 0) continue;
    }

    for (const token of names) {
      const migration = parseToken(token, path, line);
      if (migration === undefined || seen.has(migration.name)) continue;
      seen.add(migration.name);
      const phaseCell = table?.phaseColumn === undefined ? undefined : cells?.[table.phaseColumn];
      const declaredPhase =
        phaseCell !== undefined
          ? singlePhase(phaseCell)
          : (explicitPhase(raw.replace(token, '')) ?? headingPhase);
      entries.push({ kind: 'migration', fileName: token, migration, declaredPhase, line });
    }
  }
  return entries;
}

function parseToken(
  token: string,
  path: string,
  line: number,
): Omit<MigrationName, 'fileName' | 'extension'> | undefined {
  const hasExtension = /\.(?:sql|ts|js)$/.test(token);
  try {
    const {
      fileName: _fileName,
      extension: _extension,
      ...migration
    } = parseMigrationName(hasExtension ? token : `${token}.sql`);
    return migration;
  } catch (error) {
    if (!(error instanceof MigrationNameError)) throw error;
    // `100_000 rows` is prose; `001_init.sql` is a file the plan names wrongly.
    if (!hasExtension) return undefined;
    throw new SchemaDesignError(path, `"${token}" is not a valid migration name: ${error.message}`, {
      line,
      cause: error,
    });
  }
}

function tableCells(row: string): string[] {
  const trimmed = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return trimmed.split('|').map((cell) => cell.trim());
}

// Drops list markers, emphasis, code ticks and blockquote marks around text.
function stripMarkup(text: string): string {
  return text
    .trim()
    .replace(/^(?:>\s*)+/, '')
    .replace(/^(?:--|\/\/)\s*/, '')
    .replace(/^(?:[-*+]|\d+[.)])\s+/, '')
    .replace(/^#{1,6}\s+/, '')
    .replace(/[*_`~]+/g, '')
    .trim();
}

function singlePhase(text: string): MigrationPhase | undefined {
  const found = new Set([...text.matchAll(PHASE_WORD)].map((match) => match[1]?.toLowerCase()));
  if (found.size !== 1) return undefined;
  return [...found][0] as MigrationPhase;
}

function explicitPhase(text: string): MigrationPhase | undefined {
  const match = EXPLICIT_PHASE.exec(text);
  const phase = (match?.[1] ?? match?.[2])?.toLowerCase();
  return phase as MigrationPhase | undefined;
}
