// A project that uses only the pool. Run by scripts/test-example.mjs, which installs the packed
// @strata/pool here with npm and passes a real PostgreSQL server as DATABASE_URL.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const here = import.meta.dirname;

/** The installed production packages: their folders, as npm lists them. */
function productionPackages() {
  const output = execFileSync('npm', ['ls', '--all', '--parseable', '--omit=dev'], {
    cwd: here,
    encoding: 'utf8',
  });
  return output.trim().split('\n').slice(1); // the first line is the project itself
}

function bytesIn(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue; // nested packages are listed on their own
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) bytes += bytesIn(full);
    else if (entry.isFile()) bytes += statSync(full).size;
  }
  return bytes;
}

test('installs the pool, pg and what they import, and nothing of knex or objection', (t) => {
  const folders = productionPackages();
  const names = folders.map((folder) => folder.split(`node_modules${path.sep}`).at(-1));
  for (const unwanted of ['knex', 'objection', 'lodash', 'ajv', 'tarn', 'db-errors']) {
    assert.ok(!names.includes(unwanted), `${unwanted} was installed: ${names.join(', ')}`);
  }
  assert.ok(names.includes('@strata/pool') && names.includes('pg'));
  const megabytes = folders.reduce((sum, folder) => sum + bytesIn(folder), 0) / 1024 / 1024;
  t.diagnostic(`${names.length} packages installed, ${megabytes.toFixed(1)} MB: ${names.join(', ')}`);
});

test('imports the pool and runs a query on a real PostgreSQL', async () => {
  assert.ok(
    process.env.DATABASE_URL,
    'DATABASE_URL must name a server (scripts/test-example.mjs starts one)',
  );
  const { createPool } = await import('@strata/pool');
  const pool = createPool({ max: 2, min: 0 });
  try {
    const { rows } = await pool.query('select $1::int + 1 as answer', [41]);
    assert.deepEqual(rows, [{ answer: 42 }]);
  } finally {
    await pool.close();
  }
});

test('pool.knex without knex installed throws a typed error naming the package to install', async () => {
  const { createPool, KnexNotInstalledError } = await import('@strata/pool');
  const pool = createPool({ connectionString: 'postgres://app@127.0.0.1:1/app' }, { environment: {} });
  try {
    assert.throws(
      () => pool.knex,
      (error) =>
        error instanceof KnexNotInstalledError &&
        error.code === 'KNEX_NOT_INSTALLED' &&
        error.message.includes('npm install knex'),
    );
  } finally {
    await pool.close();
  }
});

test('import time next to pg, in fresh processes (reported, not asserted)', (t) => {
  // Wall-clock and CPU time of the import alone; the two run interleaved, so both see the same load.
  const measure = (name) => {
    const script = [
      'const cpu = process.cpuUsage();',
      'const started = performance.now();',
      `await import(${JSON.stringify(name)});`,
      'const used = process.cpuUsage(cpu);',
      'console.log(JSON.stringify([performance.now() - started, (used.user + used.system) / 1000]));',
    ].join('\n');
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: here,
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(result.stdout);
  };
  const runs = { pg: [], '@strata/pool': [] };
  for (let run = 0; run < 7; run++) for (const name of Object.keys(runs)) runs[name].push(measure(name));
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const wall = (name) => median(runs[name].map(([ms]) => ms));
  const line = (name) =>
    `import('${name}') ${wall(name).toFixed(0)} ms (CPU ${median(runs[name].map(([, cpu]) => cpu)).toFixed(0)} ms)`;
  const ratio = (wall('@strata/pool') / wall('pg')).toFixed(2);
  t.diagnostic(
    `${line('pg')}, ${line('@strata/pool')}: ${ratio}×, medians of 7 (target ≤ 1.5×, pnpm bench pool.import)`,
  );
});
