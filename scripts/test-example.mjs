#!/usr/bin/env node
// Packs the published packages (the same tarballs `pnpm publish` would upload) and installs
// them with npm — outside the workspace — into the example projects, as another repository
// would:
// - examples/users-service: runs its vitest tests (the @strata/testing harness);
// - examples/pool-only: depends on @strata/pool and pg only; type-checks without knex or
//   @types/pg and runs its node:test tests against a real PostgreSQL server started here;
// - examples/strict-types: compiles code using every package with `strict` and
//   `skipLibCheck: false`, under node16 and bundler module resolution.
// Called by `pnpm test` after turbo; expects the packages to be built.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const examples = path.join(root, 'examples');
const packs = path.join(examples, '.packs');
const packages = [
  'errors',
  'telemetry',
  'local-postgres',
  'pool',
  'transactions',
  'repository',
  'migrate',
  'testing',
];

// When this runs under `npx -p node@26 -p pnpm… -- pnpm test`, npx leaves its package list in
// npm_config_package; the examples' own `npx` would read it as theirs and fail.
const { npm_config_package: _outerPackages, ...outerEnvironment } = process.env;

function run(command, args, cwd, env = {}) {
  const result = spawnSync(command, args, {
    cwd,
    stdio: 'inherit',
    env: { ...outerEnvironment, npm_config_yes: 'true', ...env },
  });
  if (result.status !== 0) {
    console.error(`example: \`${command} ${args.join(' ')}\` failed in ${path.relative(root, cwd) || '.'}`);
    process.exit(result.status ?? 1);
  }
}

// A fresh install each time: the tarballs change with every build, so no lockfile is kept.
function install(example) {
  rmSync(path.join(example, 'node_modules'), { recursive: true, force: true });
  run('npm', ['install', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error'], example);
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

const usersService = path.join(examples, 'users-service');
install(usersService);
run('npx', ['vitest', 'run'], usersService);

const strictTypes = path.join(examples, 'strict-types');
install(strictTypes);
run('npx', ['tsc', '-p', 'tsconfig.node16.json'], strictTypes);
run('npx', ['tsc', '-p', 'tsconfig.bundler.json'], strictTypes);
console.log('example: strict-types compiles (node16 and bundler resolution, skipLibCheck off)');

const poolOnly = path.join(examples, 'pool-only');
install(poolOnly);
run('npx', ['tsc', '-p', 'tsconfig.node16.json'], poolOnly);
run('npx', ['tsc', '-p', 'tsconfig.bundler.json'], poolOnly);
console.log('example: pool-only compiles without knex and @types/pg (node16 and bundler resolution)');
// The server is infrastructure here, not under test: the workspace's own build starts it.
const { startPostgres } = await import(
  pathToFileURL(path.join(root, 'packages', 'local-postgres', 'dist', 'index.js')).href
);
const server = await startPostgres({ providers: ['url', 'embedded'] });
try {
  run('node', ['--test'], poolOnly, { DATABASE_URL: server.connectionString });
} finally {
  await server.stop();
}
