import { createColors } from 'picocolors';
import { coloursEnabled } from './colour-support.js';
import { createProgressBar, type Progress, silentProgress } from './progress-bar.js';
import { renderTable, type TableColumn } from './table.js';

/** A stream `strata` writes to: stdout or stderr of the process, or a test's capture. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

/** The process around a CLI run: arguments aside, where it reads and writes. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export type Colours = ReturnType<typeof createColors>;

/**
 * Everything the CLI prints goes through here: results on stdout, diagnostics on stderr,
 * colours only where `coloursEnabled` allows, progress bars only on terminals and never in
 * `--json` mode. Every line is scrubbed of the secrets registered with `addSecret` (database
 * passwords), so a password cannot reach the terminal or a CI log by any path.
 */
export class Output {
  json = false;
  readonly colours: Colours;
  readonly errorColours: Colours;
  private readonly secrets = new Set<string>();

  constructor(private readonly io: CliIo) {
    this.colours = createColors(coloursEnabled(io.env, io.stdout.isTTY === true));
    this.errorColours = createColors(coloursEnabled(io.env, io.stderr.isTTY === true));
  }

  /** Never print `secret` (a password): every occurrence becomes `***`. */
  addSecret(secret: string | undefined): void {
    if (secret === undefined || secret.length < 1) return;
    this.secrets.add(secret);
    try {
      const decoded = decodeURIComponent(secret);
      if (decoded !== secret) this.secrets.add(decoded);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) this.secrets.add(encoded);
    } catch {
      // A password that is not valid percent-encoding is registered as it is.
    }
  }

  redact(text: string): string {
    let result = text;
    // Longest first, so a secret containing another is replaced whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      result = result.split(secret).join('***');
    }
    return result;
  }

  /** A line of results on stdout. */
  line(text = ''): void {
    this.io.stdout.write(`${this.redact(text)}\n`);
  }

  /** A table of results on stdout (`renderTable`, headings in bold), or the line `empty` when there are no rows. */
  table(columns: readonly TableColumn[], rows: readonly (readonly string[])[], empty: string): void {
    this.line(rows.length === 0 ? empty : renderTable(columns, rows, this.colours.bold));
  }

  /** A diagnostic line on stderr (errors, warnings, notes that are not the result). */
  note(text: string): void {
    this.io.stderr.write(`${this.redact(text)}\n`);
  }

  /** The `--json` document, on stdout. */
  document(value: unknown): void {
    this.io.stdout.write(`${this.redact(JSON.stringify(value, null, 2))}\n`);
  }

  /** True when progress bars are shown: human output on a terminal. */
  get interactive(): boolean {
    return !this.json && this.io.stdout.isTTY === true && this.io.stderr.isTTY === true;
  }

  /** A progress bar on stderr when `interactive`, otherwise one that draws nothing. */
  progress(title: string, total: number): Progress {
    if (!this.interactive) return silentProgress;
    const stderr = this.io.stderr;
    return createProgressBar(
      { write: (text) => stderr.write(this.redact(text)), columns: stderr.columns },
      title,
      total,
    );
  }
}
