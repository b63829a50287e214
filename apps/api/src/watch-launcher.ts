import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One process between this one and the user: a package manager or the shell it spawned. */
export interface LauncherProcess {
  pid: number;
  command: string;
}

interface ProcessInfo {
  ppid: number;
  argv: string[];
}

// Package managers and task runners that start `pnpm start`'s process chain. They run as
// `node /…/pnpm.cjs …` or as their own executables.
const LAUNCHERS = /(^|[/\\])(pnpm|npm|npx|yarn|turbo|corepack)([.-][\w.]*)?$/;

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    if (process.platform === 'linux') {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return { ppid, argv };
    }
    if (process.platform === 'darwin' || process.platform === 'freebsd') {
      const [ppid, ...command] = execFileSync('ps', ['-o', 'ppid=', '-o', 'command=', '-p', String(pid)], {
        encoding: 'utf8',
      })
        .trim()
        .split(/\s+/);
      return { ppid: Number(ppid), argv: command };
    }
  } catch {
    // The process is gone or cannot be read: the chain ends here.
  }
  return undefined;
}

function isLauncher(argv: string[]): boolean {
  const [program = '', first = '', second = ''] = argv;
  const name = path.basename(program);
  if ((name === 'sh' || name === 'dash' || name === 'bash') && first === '-c') return true; // a script line
  if (LAUNCHERS.test(program)) return true;
  // node running a package manager's script: `node /usr/lib/node_modules/pnpm/bin/pnpm.cjs start`.
  const script = first.startsWith('-') ? second : first;
  return /^node(js)?(\.exe)?$/.test(name) && LAUNCHERS.test(script.replace(/\.(c|m)?js$/, ''));
}

/**
 * The package-manager processes this process was started through (`pnpm start` is
 * npx → pnpm → sh → node), nearest first; empty when it was started directly.
 */
export function findLauncherChain(pid = process.pid): LauncherProcess[] {
  const chain: LauncherProcess[] = [];
  let info = readProcess(pid);
  while (info && info.ppid > 1 && chain.length < 8) {
    const parentPid = info.ppid;
    const parent = readProcess(parentPid);
    if (!parent || !isLauncher(parent.argv)) break;
    chain.push({ pid: parentPid, command: parent.argv.join(' ') });
    info = parent;
  }
  return chain;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Calls `onGone` once when any process of the launcher chain exits. Process managers often
 * signal only the outermost process of `pnpm start`; package managers do not pass the
 * signal on, and this process would live on as an orphan with its embedded PostgreSQL.
 * Polls every `intervalMs` (cheap: one `kill(pid, 0)` per launcher) without keeping the
 * event loop alive. Returns a function that stops watching.
 */
export function watchLauncher(
  onGone: (launcher: LauncherProcess) => void,
  options: { chain?: LauncherProcess[]; intervalMs?: number } = {},
): () => void {
  const chain = options.chain ?? findLauncherChain();
  if (chain.length === 0) return () => undefined;
  const timer = setInterval(() => {
    const gone = chain.find((launcher) => !isAlive(launcher.pid));
    if (!gone) return;
    clearInterval(timer);
    onGone(gone);
  }, options.intervalMs ?? 500);
  timer.unref();
  return () => clearInterval(timer);
}
