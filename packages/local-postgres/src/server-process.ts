import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { type OrphanPolicy, watchForOwnerDeath } from './owner-watchdog.js';

/** A user and group to run a server as (PostgreSQL and PgBouncer refuse to run as root). */
export interface ProcessIdentity {
  uid: number;
  gid: number;
}

export interface ServerProcessOptions {
  command: string;
  args: readonly string[];
  runAs?: ProcessIdentity | undefined;
  /** Receives everything the process writes to stdout and stderr. */
  output: (chunk: string) => void;
  /** Answers whether the process with this pid serves yet; polled during start-up. */
  isReady: (pid: number) => Promise<boolean>;
  /** Output meaning "started too early, try again" (e.g. a crashed server's children still exiting). */
  retryWhenOutputMatches?: RegExp | undefined;
  startTimeoutMs?: number | undefined;
  /**
   * What to do with the process if this one dies without stopping it (SIGKILL, a crash):
   * a watchdog applies it. Without it, only ordinary exits and signals stop the server.
   */
  orphanPolicy?: OrphanPolicy | undefined;
}

/** How a server process that had started ended. */
export interface ServerExit {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  /** The signal that ended it (`SIGKILL` for a crash or the OOM killer), or null. */
  signal: NodeJS.Signals | null;
  /** True when this handle asked for it (`signal()`: stop, kill, restart, the owner's shutdown). */
  requested: boolean;
}

/** Why a server process did not come up; the owner turns it into its own typed error. */
export class ServerStartFailure extends Error {}

const POLL_MS = 50;
const OUTPUT_TAIL_CHARS = 4096;

/**
 * One long-running server child process (a postmaster or a PgBouncer) that tests may stop,
 * kill and start again with the same command line, so its port and files stay the same.
 */
export class ServerProcess {
  readonly #options: ServerProcessOptions;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  /** The child this handle signalled: its exit was asked for. */
  #signalled: ChildProcess | undefined;
  readonly #exitListeners = new Set<(exit: ServerExit) => void>();

  constructor(options: ServerProcessOptions) {
    this.#options = options;
  }

  /** The process id while the process runs. */
  pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the process and waits until `isReady`; a no-op while it runs. */
  async start(): Promise<void> {
    if (this.#child) return;
    const deadline = Date.now() + (this.#options.startTimeoutMs ?? 60_000);
    for (;;) {
      const outcome = await this.#startOnce(deadline);
      if (outcome === 'ready') return;
      const retry = this.#options.retryWhenOutputMatches?.test(outcome.output) && Date.now() < deadline;
      if (!retry) throw new ServerStartFailure(withComplaint(outcome.reason, outcome.output));
      await delay(POLL_MS * 4);
    }
  }

  /**
   * Calls `listener` each time the process exits after it had become ready — whoever ended
   * it — so an owner can tell a crash (`requested: false`) from its own stop. Exits during
   * start-up are not reported here: `start()` rejects with them. Returns the unsubscribe.
   */
  onExit(listener: (exit: ServerExit) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /** Sends `signal` and resolves once the process has exited; a no-op when it is not running. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#signalled = child;
    child.kill(signal);
    await this.#exited;
  }

  /** For a process `exit` listener, where nothing asynchronous runs: send the signal and go. */
  signalSync(signal: NodeJS.Signals): void {
    this.#signalled = this.#child;
    this.#child?.kill(signal);
  }

  async #startOnce(deadline: number): Promise<'ready' | { reason: string; output: string }> {
    let output = '';
    const child = spawn(this.#options.command, [...this.#options.args], {
      ...this.#options.runAs,
      stdio: ['ignore', 'pipe', 'pipe'],
      // English messages whatever the machine's locale: the output is matched and read by people.
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-OUTPUT_TAIL_CHARS);
      this.#options.output(text);
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    let exited = false;
    let ready = false;
    let spawnError: Error | undefined;
    const policy = this.#options.orphanPolicy;
    const unwatch = policy && child.pid !== undefined ? watchForOwnerDeath(child.pid, policy) : undefined;
    const exitedPromise = new Promise<void>((resolve) => {
      const onGone = () => {
        exited = true;
        unwatch?.();
        if (this.#child === child) this.#child = undefined;
        resolve();
        if (ready) this.#reportExit(child);
      };
      child.once('exit', onGone);
      // A binary that cannot be run emits 'error' and no 'exit'.
      child.once('error', (error) => {
        spawnError = error;
        if (child.pid === undefined) onGone();
      });
    });
    this.#child = child;
    this.#exited = exitedPromise;

    while (!exited) {
      const pid = child.pid;
      if (pid !== undefined && (await this.#options.isReady(pid).catch(() => false)) && !exited) {
        ready = true;
        return 'ready';
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await exitedPromise;
        return { reason: 'it did not become ready in time', output };
      }
      await Promise.race([delay(POLL_MS), exitedPromise]);
    }
    const how = spawnError
      ? `could not be run (${spawnError.message})`
      : `exited during start-up (${describeExit(child)})`;
    return { reason: `it ${how}`, output };
  }

  #reportExit(child: ChildProcess): void {
    const exit: ServerExit = {
      code: child.exitCode,
      signal: child.signalCode,
      requested: this.#signalled === child,
    };
    for (const listener of [...this.#exitListeners]) {
      try {
        listener(exit);
      } catch {
        // A listener's failure must not keep the others from hearing of the exit.
      }
    }
  }
}

// The server's own last word on why it stopped (`FATAL:  lock file "postmaster.pid" already
// exists`, `FATAL: could not bind …`), so the error names the real cause.
function withComplaint(reason: string, output: string): string {
  const complaints = output.match(/^.*\b(FATAL|PANIC|ERROR)\b:?\s+.*$/gm);
  const last = complaints?.at(-1)?.trim();
  return last ? `${reason}: ${last}` : reason;
}

function describeExit(child: ChildProcess): string {
  return child.signalCode ? `signal ${child.signalCode}` : `code ${String(child.exitCode)}`;
}
