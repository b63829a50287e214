#!/usr/bin/env node
// Packs the published packages the example needs (the same tarballs `pnpm publish` would
// upload), installs them into examples/users-service with npm — outside the workspace — and
// runs its tests. Called by `pnpm test` after turbo; expects the packages to be built.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const example = path.join(root, 'examples', 'users-service');
const packs = path.join(root, 'examples', '.packs');
const packages = ['errors', 'telemetry', 'local-postgres', 'pool', 'transactions', 'migrate', 'testing'];

function run(command, args, cwd) {
  const result = spawnSync(command, args, {
    cwd,
    stdio: 'inherit',
    env: { ...process.env, npm_config_yes: 'true' },
  });
  if (result.status !== 0) {
    console.error(`example: \`${command} ${args.join(' ')}\` failed in ${path.relative(root, cwd) || '.'}`);
    process.exit(result.status ?? 1);
  }
}

rmSync(packs, { recursive: true, force: true });
mkdirSync(packs, { recursive: true });
for (const name of packages) {
  run('pnpm', ['pack', '--pack-destination', packs], path.join(root, 'packages', name));
  const tarball = readdirSync(packs).find(
    (file) => file.startsWith(`strata-${name}-`) && file.endsWith('.tgz'),
  );
  if (!tarball) throw new Error(`pnpm pack wrote no tarball for @strata/${name}`);
  renameSync(path.join(packs, tarball), path.join(packs, `strata-${name}.tgz`));
}

// A fresh install each time: the tarballs change with every build, so no lockfile is kept.
rmSync(path.join(example, 'node_modules'), { recursive: true, force: true });
run('npm', ['install', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error'], example);
run('npx', ['vitest', 'run'], example);
