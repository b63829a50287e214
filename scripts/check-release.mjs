#!/usr/bin/env node
// The release, rehearsed without releasing: `changeset version` on a copy of the workspace's
// manifests (the checkout is left as it is), then `pnpm publish --dry-run` of every public
// package from its build. Fails when a changeset names an unknown package, when a package
// misses what a published package needs (licence, repository, keywords, a README and its
// licence file in the tarball), or when packing fails. Called by `pnpm test` after the builds.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const packagesDir = path.join(root, 'packages');
const problems = [];

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  return {
    ok: result.status === 0,
    stdout: result.stdout ?? '',
    output: `${result.stdout ?? ''}${result.stderr ?? ''}`,
  };
}

const packages = readdirSync(packagesDir)
  .map((name) => path.join(packagesDir, name))
  .filter((dir) => existsSync(path.join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.private !== true);

// 1. What a published package needs.
for (const { dir, manifest } of packages) {
  const where = `${manifest.name} (${path.relative(root, dir)}/package.json)`;
  if (!manifest.license) problems.push(`${where}: no "license"`);
  if (!existsSync(path.join(dir, 'LICENSE'))) problems.push(`${where}: no LICENSE file beside it`);
  if (!manifest.repository?.url || manifest.repository?.directory !== path.relative(root, dir)) {
    problems.push(`${where}: "repository" needs a url and "directory": "${path.relative(root, dir)}"`);
  }
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0)
    problems.push(`${where}: no "keywords"`);
  if (!manifest.description) problems.push(`${where}: no "description"`);
}

// 2. `changeset version` on a copy: the manifests, the changelogs and .changeset/.
const copy = mkdtempSync(path.join(os.tmpdir(), 'strata-release-'));
try {
  for (const file of ['package.json', 'pnpm-workspace.yaml'])
    cpSync(path.join(root, file), path.join(copy, file));
  cpSync(path.join(root, '.changeset'), path.join(copy, '.changeset'), { recursive: true });
  for (const group of ['packages', 'apps', 'tooling', 'bench']) {
    const groupDir = path.join(root, group);
    if (!existsSync(groupDir)) continue;
    const dirs = existsSync(path.join(groupDir, 'package.json'))
      ? [groupDir]
      : readdirSync(groupDir).map((name) => path.join(groupDir, name));
    for (const dir of dirs) {
      for (const file of ['package.json', 'CHANGELOG.md']) {
        const source = path.join(dir, file);
        if (existsSync(source)) cpSync(source, path.join(copy, path.relative(root, source)));
      }
    }
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  const changesetBin = path.join(root, 'node_modules', '@changesets', 'cli', 'bin.js');
  const version = run(process.execPath, [changesetBin, 'version'], copy);
  if (!version.ok) problems.push(`changeset version failed:\n${version.output}`);
  else {
    for (const { dir, manifest } of packages) {
      const bumped = JSON.parse(
        readFileSync(path.join(copy, path.relative(root, dir), 'package.json'), 'utf8'),
      );
      if (bumped.version !== manifest.version)
        console.log(`release: ${manifest.name} ${manifest.version} → ${bumped.version}`);
    }
  }
} finally {
  rmSync(copy, { recursive: true, force: true });
}

// 3. A dry-run publish of each package from its build (pnpm rewrites workspace: ranges).
for (const { dir, manifest } of packages) {
  const publish = run('pnpm', ['publish', '--dry-run', '--no-git-checks', '--json'], dir);
  if (!publish.ok) {
    problems.push(`${manifest.name}: pnpm publish --dry-run failed:\n${publish.output}`);
    continue;
  }
  // npm (which pnpm hands the packing to) keys its report by package name.
  const parsed = JSON.parse(publish.stdout.slice(publish.stdout.indexOf('{')));
  const report = parsed[manifest.name] ?? parsed;
  const files = new Set((report.files ?? []).map((file) => file.path));
  for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) {
    if (!files.has(needed)) problems.push(`${manifest.name}: the tarball has no ${needed}`);
  }
  // Every relative link in the README must resolve inside the tarball.
  const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
  for (const match of readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
    const link = match[1];
    if (/^[a-z][a-z+.-]*:/i.test(link)) continue;
    if (link.startsWith('../')) {
      problems.push(
        `${manifest.name}: README links outside the package (${link}), which breaks once published`,
      );
      continue;
    }
    const file = path.posix.normalize(link.replace(/^\.\//, ''));
    if (!files.has(file) && ![...files].some((entry) => entry.startsWith(`${file}/`))) {
      problems.push(`${manifest.name}: README links to ${link}, which is not in the tarball`);
    }
  }
  console.log(
    `release: ${manifest.name}@${manifest.version} packs ${files.size} files (${report.size} bytes, ${report.unpackedSize} unpacked)`,
  );
}

if (problems.length > 0) {
  console.error(`Release check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`release: changeset version and a dry-run publish of ${packages.length} packages succeeded`);
