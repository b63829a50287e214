import { EXIT_CODES } from '../exit-codes.js';
import type { Colours } from '../output/output.js';
import type { CommandOutcome } from './command.js';

/** What a check that reports findings (`migrate lint`, `migrate check-design`) found. */
export interface CheckReport<Finding> {
  /** True when the findings block the work: exit 3, the summary in red. */
  blocking: boolean;
  document: Record<string, unknown>;
  findings: readonly Finding[];
  /** The lines a person sees for one finding. */
  show(finding: Finding, colours: Colours): string[];
  summary: string;
  /** What to do, shown after the summary when blocking. */
  advice?: string;
}

/**
 * The outcome of a check: exit 3 when the findings block, else 0; for a person, each
 * finding's lines, then the summary (red when blocking, green otherwise) and the advice.
 */
export function checkOutcome<Finding>(report: CheckReport<Finding>): CommandOutcome {
  return {
    exitCode: report.blocking ? EXIT_CODES.blocked : EXIT_CODES.ok,
    document: report.document,
    render(output) {
      const c = output.colours;
      for (const finding of report.findings) {
        for (const line of report.show(finding, c)) output.line(line);
      }
      if (report.findings.length > 0) output.line();
      output.line(report.blocking ? c.red(report.summary) : c.green(report.summary));
      if (report.blocking && report.advice !== undefined) output.line(report.advice);
    },
  };
}
