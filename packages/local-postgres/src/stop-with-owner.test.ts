import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { findPgBouncerBinary } from './find-pgbouncer-binary.js';
import { waitUntil } from './wait-until.js';

// Without PgBouncer a developer's run skips these; CI (CI=true) installs it and must run them.
const skip = !(await findPgBouncerBinary()).binary && process.env.CI !== 'true';

interface Started {
  pids: number[];
  paths: string[];
}

/** Runs a script that starts a primary, a replica and a PgBouncer, then does `then`. */
function owner(then: string) {
  const script = [
    "import { startPgBouncer, startPostgres } from './src/index.ts';",
    "const cluster = await startPostgres({ providers: ['embedded'], replicas: 1, log: false });",
    "const bouncer = await startPgBouncer({ upstream: cluster.connectionString, providers: ['binary'], log: false });",
    'const servers = [cluster.primary, ...cluster.replicas];',
    'console.log(JSON.stringify({',
    '  pids: [...servers.map((server) => server.pid()), bouncer.pid()],',
    '  paths: [...servers.map((server) => server.dataDir), ...servers.map((server) => server.logFile), bouncer.logFile],',
    '}));',
    then,
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: path.resolve(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const started = new Promise<Started>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('\n')) resolve(JSON.parse(output.split('\n')[0] as string));
    });
    child.on('exit', (code) => reject(new Error(`the owner exited early with ${code}`)));
  });
  return { child, started, exited };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function expectAllGone(started: Started) {
  // Servers first, then their files: the owner (or, after it, the watchdog) removes those once
  // the servers have exited.
  await waitUntil(async () => !started.pids.some(alive) && !started.paths.some((file) => existsSync(file)), {
    timeoutMs: 20_000,
    timeoutError: () =>
      new Error(
        `left behind: pids ${started.pids.filter(alive).join(', ')}; files ${started.paths.filter((file) => existsSync(file)).join(', ')}`,
      ),
  });
}

describe.skipIf(skip)('servers stop with the process that started them', () => {
  test('SIGTERM to the owner stops the primary, its replicas and PgBouncer, and removes their files', async () => {
    const { child, started, exited } = owner('setInterval(() => {}, 1000);');
    const servers = await started;
    expect(servers.pids).toHaveLength(3);
    expect(servers.pids.every(alive)).toBe(true);
    child.kill('SIGTERM');
    await exited;
    await expectAllGone(servers);
  });

  test('an owner killed with SIGKILL, where no exit hook runs, leaves no server and no file behind', async () => {
    const { child, started, exited } = owner('setInterval(() => {}, 1000);');
    const servers = await started;
    expect(servers.pids.every(alive)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    // The watchdog sees the owner's pipe close, stops every server, then removes their files.
    await waitUntil(
      async () => !servers.pids.some(alive) && !servers.paths.some((file) => existsSync(file)),
      {
        timeoutMs: 30_000,
        timeoutError: () =>
          new Error(
            `left behind: pids ${servers.pids.filter(alive).join(', ')}; files ${servers.paths.filter((file) => existsSync(file)).join(', ')}`,
          ),
      },
    );
  });

  test('an owner that exits without stopping anything leaves no server behind', async () => {
    const { started, exited } = owner('process.exit(0);');
    const servers = await started;
    await exited;
    await expectAllGone(servers);
  });
});
