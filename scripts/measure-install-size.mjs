#!/usr/bin/env node
// What installing each package costs a user: packs every public package, installs each one
// alone with npm into an empty project (its @strata dependencies from the same packs, the
// rest from the registry) and prints a Markdown table of packages installed and size on disk,
// for the README. Needs the builds (`pnpm build`) and the npm registry; not part of the tests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const work = mkdtempSync(path.join(os.tmpdir(), 'strata-install-size-'));
const packs = path.join(work, 'packs');
mkdirSync(packs);

const packages = readdirSync(path.join(root, 'packages'))
  .map((name) => ({ name, dir: path.join(root, 'packages', name) }))
  .map((entry) => ({
    ...entry,
    manifest: JSON.parse(readFileSync(path.join(entry.dir, 'package.json'), 'utf8')),
  }))
  .filter(({ manifest }) => manifest.private !== true);

const tarballs = new Map();
for (const { dir, manifest } of packages) {
  const before = new Set(readdirSync(packs));
  execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: dir, stdio: 'ignore' });
  const file = readdirSync(packs).find((entry) => !before.has(entry));
  tarballs.set(manifest.name, path.join(packs, file));
}

function diskSize(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) bytes += diskSize(full);
    else if (entry.isFile()) bytes += statSync(full).size;
  }
  return bytes;
}

function strataClosure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const manifest = packages.find((entry) => entry.manifest.name === name)?.manifest;
  for (const dependency of Object.keys(manifest?.dependencies ?? {})) {
    if (tarballs.has(dependency)) strataClosure(dependency, seen);
  }
  return seen;
}

const rows = [];
for (const { manifest } of packages) {
  const project = path.join(work, manifest.name.replace('/', '-'));
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'size-check', private: true }));
  const specs = [...strataClosure(manifest.name)].map((name) => tarballs.get(name));
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', ...specs],
    {
      cwd: project,
      stdio: 'inherit',
    },
  );
  const modules = path.join(project, 'node_modules');
  const count =
    execFileSync('npm', ['ls', '--all', '--parseable'], { cwd: project, encoding: 'utf8' }).trim().split('\n')
      .length - 1;
  const megabytes = (diskSize(modules) / 1024 / 1024).toFixed(1);
  rows.push(`| \`${manifest.name}\` | ${count} | ${megabytes} MB |`);
}
rmSync(work, { recursive: true, force: true });

console.log('| package | packages installed (with its dependencies) | size on disk |');
console.log('| --- | --- | --- |');
for (const row of rows) console.log(row);
