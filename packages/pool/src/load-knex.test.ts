import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';

/** Runs `body` in a fresh Node process with this package's sources; returns what it printed. */
function inFreshProcess(body: string): string {
  const script = [
    "import { createRequire } from 'node:module';",
    "import path from 'node:path';",
    // The CommonJS module cache, shared by every require: knex is CommonJS, however it is loaded.
    "const knexFolder = path.sep + 'knex' + path.sep;",
    'const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes(knexFolder));',
    body,
  ].join('\n');
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: path.resolve(import.meta.dirname, '..'),
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  return result.stdout.trim();
}

test('importing the pool does not load knex; the first use of pool.knex does', () => {
  const output = inFreshProcess(
    [
      "const { createPool } = await import('./src/index.ts');",
      "const pool = createPool({ connectionString: 'postgres://app@127.0.0.1:1/app' }, { environment: {} });",
      'const before = loaded();',
      "const isKnex = typeof pool.knex === 'function' && typeof pool.knex.transaction === 'function';",
      'console.log(JSON.stringify({ before, isKnex, after: loaded() }));',
      'await pool.close();',
    ].join('\n'),
  );
  expect(JSON.parse(output)).toEqual({ before: false, isKnex: true, after: true });
});
