import { type ChildProcess, spawn } from 'node:child_process';

/** What the watchdog does with a server whose owner died without stopping it. */
export interface OrphanPolicy {
  /** The first signal (then SIGQUIT, then SIGKILL if it is still there). */
  signal: NodeJS.Signals;
  /** Files and folders to remove once the server has exited (temporary data, configs). */
  removePaths?: readonly string[];
}

// The watchdog is a separate, detached process that reads registrations from a pipe. The
// kernel closes the pipe whenever this process ends — SIGKILL and crashes included, where no
// exit hook runs — and the watchdog then stops every server still registered. Plain
// JavaScript passed with -e, so it runs the same from src/ (tests) and dist/.
const WATCHDOG_SOURCE = String.raw`
const fs = require('node:fs');
const servers = new Map();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const send = (pid, signal) => { try { process.kill(pid, signal); } catch {} };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitGone(pids, ms) {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
}
let buffer = '';
let cleaning = false;
async function cleanUp() {
  if (cleaning) return;
  cleaning = true;
  const entries = [...servers.entries()];
  const pids = entries.map(([pid]) => pid);
  for (const [pid, policy] of entries) send(pid, policy.signal);
  await waitGone(pids, 10000);
  for (const pid of pids) if (alive(pid)) send(pid, 'SIGQUIT');
  await waitGone(pids, 3000);
  for (const pid of pids) if (alive(pid)) send(pid, 'SIGKILL');
  await waitGone(pids, 3000);
  for (const [, policy] of entries) {
    for (const target of policy.removePaths || []) {
      try { fs.rmSync(target, { recursive: true, force: true, maxRetries: 3 }); } catch {}
    }
  }
  process.exit(0);
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
    const line = buffer.slice(0, end);
    buffer = buffer.slice(end + 1);
    try {
      const message = JSON.parse(line);
      if (message.add) servers.set(message.add, message.policy);
      if (message.remove) servers.delete(message.remove);
    } catch {}
  }
});
process.stdin.on('end', cleanUp);
process.stdin.on('error', cleanUp);
`;

let watchdog: ChildProcess | undefined;

function currentWatchdog(): ChildProcess | undefined {
  if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) return watchdog;
  try {
    const child = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      // Its own process group: a Ctrl+C meant for this process does not end the watchdog first.
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { PATH: process.env.PATH ?? '' },
    });
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    // Neither the watchdog nor its pipe keeps this process alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    watchdog = child;
    return child;
  } catch {
    return undefined; // Without a watchdog, the exit hooks still cover every ordinary exit.
  }
}

/**
 * Makes sure the server process `pid` does not outlive this process by more than a moment,
 * even when this process is killed with SIGKILL or crashes: a detached watchdog process
 * notices the pipe from this process closing and applies `policy`. Returns the function to
 * call once the server has exited normally.
 */
export function watchForOwnerDeath(pid: number, policy: OrphanPolicy): () => void {
  const child = currentWatchdog();
  if (!child?.stdin) return () => undefined;
  child.stdin.write(`${JSON.stringify({ add: pid, policy })}\n`);
  return () => {
    if (child.stdin?.writable) child.stdin.write(`${JSON.stringify({ remove: pid })}\n`);
  };
}
