#!/usr/bin/env node
// `pnpm test`: typecheck, lint and every workspace's tests through turbo, Biome over the
// tree, the example project outside the workspace, the release rehearsal (changeset version
// and a dry-run publish), then one line totalling the vitest results of all of them
// ("N passed, N failed, N skipped").
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const workspaces = ['packages', 'apps', 'tooling', 'examples']
  .flatMap((group) => {
    const dir = path.join(root, group);
    return existsSync(dir) ? readdirSync(dir).map((name) => path.join(dir, name)) : [];
  })
  .concat(path.join(root, 'bench'));
const resultFiles = workspaces.map((dir) => path.join(dir, '.vitest', 'results.json'));

// Stale reports from an earlier run must not be counted.
for (const file of resultFiles) rmSync(file, { force: true });

const run = spawnSync(
  'pnpm',
  [
    'exec',
    'turbo',
    'run',
    'typecheck',
    'lint',
    'test',
    '--continue',
    '--concurrency=2',
    ...process.argv.slice(2),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    // The Node version is part of every task's cache key: a run on another Node line must
    // run the tests again, not replay the results of the last line.
    env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env, STRATA_NODE_VERSION: process.version },
  },
);
const biome = spawnSync('pnpm', ['exec', 'biome', 'check', '.'], { cwd: root, stdio: 'inherit' });
// The example project installs the packed packages from outside the workspace (issue: other
// repositories use @strata/testing); it needs the builds turbo just made.
const example =
  run.status === 0
    ? spawnSync('node', [path.join(root, 'scripts', 'test-example.mjs')], { cwd: root, stdio: 'inherit' })
    : { status: 1, skipped: true };
if (example.skipped) console.error('Skipped the example project: the workspace tasks failed first.');
// The release rehearsed: `changeset version` on a copy and a dry-run publish of every package.
const release =
  run.status === 0
    ? spawnSync('node', [path.join(root, 'scripts', 'check-release.mjs')], { cwd: root, stdio: 'inherit' })
    : { status: 1 };

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of resultFiles) {
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A file that failed to load reports no tests; count it so it cannot pass silently.
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed += 1;
  }
}
const status =
  run.status !== 0 || biome.status !== 0 || example.status !== 0 || release.status !== 0 || failed > 0
    ? 1
    : 0;
console.log(`Tests ran on Node ${process.version}.`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(status);
