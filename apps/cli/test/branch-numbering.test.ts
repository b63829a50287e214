import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sqlMigration } from '@strata/migration-fixtures';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTempFolder, strata, type TempFolder } from './strata-harness.js';

const run = promisify(execFile);

// Real repositories in temporary folders: `main` and a feature branch that each added migrations.
async function git(cwd: string, ...args: string[]): Promise<string> {
  const identity = [
    '-c',
    'user.name=Strata Test',
    '-c',
    'user.email=test@example.com',
    '-c',
    'commit.gpgsign=false',
  ];
  return (await run('git', [...identity, ...args], { cwd })).stdout;
}

interface CheckDocument {
  ok: boolean;
  base: { ref: string; commit: string };
  added: string[];
  baseLastSeq: number | null;
  findings: { kind: string; fileName: string; other: string | null; message: string }[];
}

let folder: TempFolder;

beforeAll(async () => {
  folder = await createTempFolder();
});

afterAll(async () => {
  await folder?.cleanup();
});

const design = (files: string[]) =>
  `# Orders notes\n\n## Migration plan\n\n${files.map((file, index) => `${index + 1}. \`${file}\``).join('\n')}\n`;

/** A repository whose main and feature branches each added migrations after 004. */
async function repository(name: string, onMain: string[], onFeature: string[]): Promise<string> {
  const root = path.join(folder.path, name);
  const write = (file: string, body = 'select 1;') => folder.write(`${name}/${file}`, sqlMigration(body));
  await write('db/migrations/001_billing_expand_create_invoices.sql', 'create table invoices (id bigint);');
  await write('db/migrations/002_billing_expand_add_note.sql');
  await write('db/migrations/003_billing_validate_note.sql');
  await write('db/migrations/004_search_expand_create_terms.sql');
  await git(root, 'init', '-q', '-b', 'main');
  await git(root, 'add', '.');
  await git(root, 'commit', '-q', '-m', 'base');
  await git(root, 'checkout', '-q', '-b', 'feature');
  for (const file of onFeature) await write(`db/migrations/${file}`);
  await folder.write(`${name}/plans/PROJ-7/feature/schema_design.md`, design(onFeature));
  await git(root, 'add', '.');
  await git(root, 'commit', '-q', '-m', 'feature');
  await git(root, 'checkout', '-q', 'main');
  for (const file of onMain) await write(`db/migrations/${file}`);
  await git(root, 'add', '.');
  await git(root, 'commit', '-q', '--allow-empty', '-m', 'main moves on');
  await git(root, 'checkout', '-q', 'feature');
  return root;
}

describe('migrate check --base', () => {
  test('two branches that both added 005: exit 3 naming both files; renumber moves the branch after main, design included', async () => {
    const root = await repository(
      'both-005',
      ['005_search_validate_terms.sql'],
      ['005_orders_expand_add_memo.sql', '006_orders_backfill_memo.sql'],
    );
    const dir = path.join(root, 'db/migrations');

    const check = await strata(['migrate', 'check', '--base', 'main', '--dir', dir, '--json']);
    expect(check.code).toBe(3);
    const document = check.json<CheckDocument>();
    expect(document).toMatchObject({
      ok: false,
      added: ['005_orders_expand_add_memo.sql', '006_orders_backfill_memo.sql'],
      baseLastSeq: 5,
    });
    expect(document.base.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(document.findings).toEqual([
      expect.objectContaining({
        kind: 'duplicate-seq',
        fileName: '005_orders_expand_add_memo.sql',
        other: '005_search_validate_terms.sql',
      }),
    ]);
    const human = await strata(['migrate', 'check', '--base', 'main', '--dir', dir]);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain('duplicate-seq 005_orders_expand_add_memo.sql');
    expect(human.stdout).toContain('Run `strata migrate renumber --base main`');

    const dryRun = await strata([
      'migrate',
      'renumber',
      '--base',
      'main',
      '--dir',
      dir,
      '--dry-run',
      '--json',
    ]);
    expect(dryRun.code).toBe(0);
    expect(dryRun.json()).toMatchObject({
      dryRun: true,
      renames: [
        { from: '005_orders_expand_add_memo.sql', to: '006_orders_expand_add_memo.sql' },
        { from: '006_orders_backfill_memo.sql', to: '007_orders_backfill_memo.sql' },
      ],
      designFiles: [path.join(root, 'plans/PROJ-7/feature/schema_design.md')],
    });
    expect(await readdir(dir)).toContain('005_orders_expand_add_memo.sql');

    const renumbered = await strata(['migrate', 'renumber', '--base', 'main', '--dir', dir]);
    expect(renumbered.code).toBe(0);
    expect(renumbered.stdout).toContain(
      'renamed 005_orders_expand_add_memo.sql → 006_orders_expand_add_memo.sql',
    );
    expect(renumbered.stdout).toContain('Check with `strata migrate check --base main`');
    expect((await readdir(dir)).filter((name) => name.includes('orders'))).toEqual([
      '006_orders_expand_add_memo.sql',
      '007_orders_backfill_memo.sql',
    ]);
    expect(await readFile(path.join(root, 'plans/PROJ-7/feature/schema_design.md'), 'utf8')).toBe(
      design(['006_orders_expand_add_memo.sql', '007_orders_backfill_memo.sql']),
    );

    // After the merge the numbers hold on both sides.
    expect((await strata(['migrate', 'check', '--base', 'main', '--dir', dir])).code).toBe(0);
    await git(root, 'add', '-A');
    await git(root, 'commit', '-q', '-m', 'renumber');
    await git(root, 'merge', '-q', 'main', '-m', 'merge main');
    const merged = await strata(['migrate', 'check', '--base', 'main', '--dir', dir, '--json']);
    expect(merged.json<CheckDocument>()).toMatchObject({ ok: true, findings: [] });
  }, 120_000);

  test('new files sorting before the base, and a contract put before its expand, exit 3', async () => {
    const root = await repository(
      'out-of-order',
      ['006_orders_expand_add_memo.sql'],
      ['005_orders_contract_drop_note.sql'],
    );
    const check = await strata([
      'migrate',
      'check',
      '--base',
      'main',
      '--dir',
      path.join(root, 'db/migrations'),
      '--json',
    ]);
    expect(check.code).toBe(3);
    expect(
      check.json<CheckDocument>().findings.map((finding) => [finding.kind, finding.fileName, finding.other]),
    ).toEqual([
      ['before-base', '005_orders_contract_drop_note.sql', '006_orders_expand_add_memo.sql'],
      ['phase-order', '005_orders_contract_drop_note.sql', '006_orders_expand_add_memo.sql'],
    ]);
  }, 120_000);

  test('an unknown ref, or a folder outside a repository, is a usage error (exit 2)', async () => {
    const root = await repository('refs', [], ['005_orders_expand_add_memo.sql']);
    const unknown = await strata([
      'migrate',
      'check',
      '--base',
      'origin/nope',
      '--dir',
      path.join(root, 'db/migrations'),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('git does not know the ref "origin/nope"');
    const option = await strata([
      'migrate',
      'check',
      '--base',
      '--upload-pack=x',
      '--dir',
      path.join(root, 'db/migrations'),
    ]);
    expect(option.code).toBe(2);

    const outside = await mkdtemp(path.join(os.tmpdir(), 'strata-no-git-'));
    try {
      const run = await strata(['migrate', 'check', '--base', 'main', '--dir', outside]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('is not inside a git repository');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  }, 120_000);
});
