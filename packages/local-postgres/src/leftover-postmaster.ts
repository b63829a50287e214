import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLineOf(pid: number): string | undefined {
  try {
    if (process.platform === 'linux')
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await delay(50);
  }
  return true;
}

/**
 * Clears what an earlier owner of `dataDir` left behind before a new postmaster starts there.
 * A postmaster still running on it (its owner was killed before it could stop it) is shut
 * down — fast, then immediate — and a `postmaster.pid` naming a process that is not a
 * postmaster of this folder (the pid was reused) is removed, since PostgreSQL would refuse to
 * start beside it. Returns one line saying what was done, or undefined when nothing was left.
 */
export async function clearLeftoverPostmaster(dataDir: string): Promise<string | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    return undefined; // No lock file: stopped cleanly.
  }
  // A dead pid is handled by PostgreSQL itself (crash recovery, then a new lock file).
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  const command = commandLineOf(pid);
  const ours = command !== undefined && /postgres/.test(command) && command.includes(dataDir);
  if (!ours) {
    rmSync(pidFile, { force: true });
    return `[strata] Removed a stale postmaster.pid in ${dataDir}: its pid ${pid} now belongs to another process.`;
  }
  process.kill(pid, 'SIGINT');
  if (!(await waitGone(pid, 15_000))) {
    process.kill(pid, 'SIGQUIT');
    if (!(await waitGone(pid, 5_000))) process.kill(pid, 'SIGKILL');
    await waitGone(pid, 5_000);
  }
  return `[strata] Stopped PostgreSQL (pid ${pid}) that an earlier process left running on ${dataDir}, then started it again.`;
}
