import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../app-config.js';

/** The built entry point, as `pnpm start` runs it. */
export const MAIN = path.join(PACKAGE_ROOT, 'dist', 'main.js');

/** One JSON log line as an object; undefined for anything else (e.g. a pretty line). */
export function parseLogLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Tests that run `dist/main.js` must run the build of this source: throws when it is older. */
export function assertBuildIsFresh(): void {
  const built = existsSync(MAIN) ? statSync(MAIN).mtimeMs : 0;
  const sources = readdirSync(path.join(PACKAGE_ROOT, 'src')).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
  );
  const newest = Math.max(...sources.map((file) => statSync(path.join(PACKAGE_ROOT, 'src', file)).mtimeMs));
  if (built < newest) {
    throw new Error(`${MAIN} is missing or older than src/: run \`pnpm build\` in apps/api first.`);
  }
}

/** The real entry point, `node dist/main.js`, as `pnpm start` runs it. */
export class ApiProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  #waiters: Array<{ match: (line: string) => boolean; resolve: (line: string) => void }> = [];

  constructor(
    environment: Record<string, string>,
    command: string[] = [process.execPath, '--enable-source-maps', MAIN],
  ) {
    const [program = process.execPath, ...args] = command;
    this.child = spawn(program, args, {
      cwd: PACKAGE_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let rest = '';
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) this.#add(line);
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    // Output keeps coming while any process holding the pipes (e.g. the API under pnpm) lives.
    this.outputClosed = new Promise((resolve) => this.child.stdout?.once('close', resolve));
  }

  readonly outputClosed: Promise<unknown>;

  #add(line: string): void {
    this.lines.push(line);
    for (const waiter of [...this.#waiters]) {
      if (waiter.match(line)) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }

  /**
   * The first log line (seen or to come) whose message is `message` (and, when given, whose
   * request id is `requestId`); rejects if the process exits first.
   */
  waitForMessage(message: RegExp, requestId?: string): Promise<Record<string, unknown>> {
    const match = (line: string) => {
      const parsed = parseLogLine(line);
      return (
        message.test(String(parsed?.msg ?? '')) &&
        (requestId === undefined || parsed?.requestId === requestId)
      );
    };
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(parseLogLine(seen) ?? {});
    return new Promise((resolve, reject) => {
      this.#waiters.push({ match, resolve: (line) => resolve(parseLogLine(line) ?? {}) });
      void this.exited.then((code) =>
        reject(
          new Error(`dist/main.js exited (${code}) before logging ${message}:\n${this.lines.join('\n')}`),
        ),
      );
    });
  }

  /** Starts and waits for "listening"; returns the API's URL. */
  async listening(): Promise<string> {
    const line = await this.waitForMessage(/^Strata API listening/);
    return String(line.url);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}
