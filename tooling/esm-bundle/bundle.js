#!/usr/bin/env node
// Bundles the package in the current folder: each entry point of its `exports` map
// (`./dist/name.js`) is built from `src/name.ts` into one ESM file, dependencies left as
// imports. Why: Node's ESM loader costs about a millisecond per module file, so a package of
// 45 files paid more to load than `pg` itself. `tsc` still writes the declarations.
//
//   strata-bundle [--inline <package>]...
//
// `--inline valibot` bundles that dependency's code as well (tree-shaken): for a package whose
// import time matters more than sharing one copy of the dependency with the application.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const inline = new Set();
for (let index = 0; index < args.length; index++) {
  if (args[index] === '--inline' && args[index + 1]) inline.add(args[++index]);
  else {
    console.error(
      `strata-bundle: unknown argument ${args[index]} (usage: strata-bundle [--inline <package>]...)`,
    );
    process.exit(2);
  }
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const entryPoints = Object.values(manifest.exports ?? {})
  .map((target) => (typeof target === 'object' && target !== null ? target.default : undefined))
  .filter((target) => typeof target === 'string' && /^\.\/dist\/.+\.js$/.test(target))
  .map((target) => target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
if (entryPoints.length === 0) {
  console.error(`strata-bundle: ${manifest.name} has no ./dist/*.js entry in its exports map`);
  process.exit(2);
}

/** `valibot/dist` → `valibot`, `@scope/name/sub` → `@scope/name`. */
const packageOf = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

// tsc's JavaScript from this or an earlier build: the bundle replaces it.
function removeJavaScript(folder) {
  for (const name of readdirSync(folder)) {
    const file = path.join(folder, name);
    if (statSync(file).isDirectory()) removeJavaScript(file);
    else if (/\.js(\.map)?$/.test(name)) rmSync(file);
  }
}
removeJavaScript('dist');

await build({
  entryPoints,
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  // Several entry points share their common modules through chunks instead of copies.
  splitting: entryPoints.length > 1,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Error classes name themselves after `new.target.name`; bundling must not rename them.
  keepNames: true,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [
    {
      name: 'dependencies-stay-imports',
      setup(builder) {
        builder.onResolve({ filter: /^[^./]/ }, ({ path: specifier }) =>
          specifier.startsWith('node:') || !inline.has(packageOf(specifier))
            ? { path: specifier, external: true }
            : undefined,
        );
      },
    },
  ],
});
