import { StrataError } from './strata-error.js';

/** One invalid configuration field: its dotted path and what is wrong with it. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * Configuration failed validation. The message names every bad field at once, so a caller
 * fixes them in one go; no value that could hold a secret is ever included.
 */
export class InvalidConfigError extends StrataError {
  readonly issues: readonly ConfigIssue[];

  constructor(subject: string, issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    const lines = issues.map((issue) => `  - ${issue.path || '(root)'}: ${issue.message}`);
    super('INVALID_CONFIG', `Invalid ${subject} configuration:\n${lines.join('\n')}`, options);
    this.issues = issues;
  }
}
