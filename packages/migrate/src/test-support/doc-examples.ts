// Test support (not part of the package): the SQL examples of README.md and LINT.md, read from
// the Markdown itself so that the documentation and the tests that run it cannot drift apart.
import { readFile } from 'node:fs/promises';

/** A migration file an example writes, with its text as the documentation shows it. */
export interface ExampleFile {
  fileName: string;
  text: string;
}

const packageFile = (name: string): Promise<string> =>
  readFile(new URL(`../../${name}`, import.meta.url), 'utf8');

export const readReadme = (): Promise<string> => packageFile('README.md');
export const readLintGuide = (): Promise<string> => packageFile('LINT.md');

/** The fenced code blocks of one language, in document order. */
export function codeBlocks(markdown: string, language: string): string[] {
  const fence = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  return [...markdown.matchAll(fence)].map((match) => match[1] ?? '');
}

/** The files the README's quick start writes: `writeFile('db/migrations/<name>', `<text>`)`. */
export function quickStartFiles(readme: string): ExampleFile[] {
  const [quickStart = ''] = codeBlocks(readme, 'ts');
  return [...quickStart.matchAll(/writeFile\(\s*'db\/migrations\/([^']+\.sql)',\s*`([^`]*)`/g)].map(
    (match) => ({ fileName: match[1] ?? '', text: match[2] ?? '' }),
  );
}

/** A SQL block that lists several migrations, each under a `-- <file name>` line; `[CODE DEPLOY]` marks the deploy. */
export interface PhasedExample {
  beforeDeploy: ExampleFile[];
  afterDeploy: ExampleFile[];
}

export function phasedExample(block: string): PhasedExample {
  const example: PhasedExample = { beforeDeploy: [], afterDeploy: [] };
  let target = example.beforeDeploy;
  let current: ExampleFile | undefined;
  for (const line of block.split('\n')) {
    const header = /^-- (\d+_[a-z0-9_-]+\.sql)\b/i.exec(line);
    if (line.startsWith('-- [CODE DEPLOY]')) {
      target = example.afterDeploy;
      current = undefined;
    } else if (header?.[1]) {
      current = { fileName: header[1], text: '-- migrate:up\n' };
      target.push(current);
    } else if (current) {
      current.text += `${line}\n`;
    }
  }
  return example;
}

/** The `lintMigration({ file, phase, sql })` example of LINT.md, and the findings it documents. */
export function lintExample(guide: string): {
  file: string;
  sql: string;
  findings: { line: number; ruleId: string }[];
} {
  const [block = ''] = codeBlocks(guide, 'ts');
  const file = /file: '([^']+)'/.exec(block)?.[1] ?? '';
  const sql = /sql: `([^`]*)`/.exec(block)?.[1] ?? '';
  const findings = [...block.matchAll(/line: (\d+),[^\n]*\n\/\/\s+ruleId: '([a-z-]+)'/g)].map((match) => ({
    line: Number(match[1]),
    ruleId: match[2] ?? '',
  }));
  return { file, sql, findings };
}
