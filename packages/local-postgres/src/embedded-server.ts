import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { StrataError } from '@strata/errors';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';
import type { LocalPostgresServer, ServerStopMode } from './local-postgres.js';
import type { OrphanPolicy } from './owner-watchdog.js';
import { type ProcessIdentity, ServerProcess } from './server-process.js';
import { withClient } from './with-client.js';

const STOP_SIGNALS: Record<ServerStopMode, NodeJS.Signals> = { fast: 'SIGINT', immediate: 'SIGQUIT' };

export interface PostmasterOptions {
  binary: string;
  dataDir: string;
  port: number;
  /** `-c name=value` pairs. */
  flags: readonly string[];
  runAs: ProcessIdentity | undefined;
  output: (chunk: string) => void;
  /** What a watchdog does with this server if its owner dies without stopping it. */
  orphanPolicy?: OrphanPolicy | undefined;
}

// pg_ctl's own test: postmaster.pid names our process and its status line says it serves.
async function postmasterServes(dataDir: string, pid: number): Promise<boolean> {
  const lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
  return Number(lines[0]) === pid && /^(ready|standby)\b/.test(lines[7]?.trim() ?? '');
}

/** A postmaster (`postgres -D dataDir -p port …`) as a restartable server process. */
export function postmasterProcess(options: PostmasterOptions): ServerProcess {
  return new ServerProcess({
    command: options.binary,
    args: ['-D', options.dataDir, '-p', String(options.port), ...options.flags],
    runAs: options.runAs,
    output: options.output,
    orphanPolicy: options.orphanPolicy,
    isReady: (pid) => postmasterServes(options.dataDir, pid),
    // After a SIGKILL the old postmaster's children take a moment to notice and exit.
    retryWhenOutputMatches: /pre-existing shared memory block .* is still in use/,
  });
}

async function promote(name: string, url: string): Promise<void> {
  await withClient(url, async (client) => {
    const { rows } = await client.query<{ recovering: boolean }>('select pg_is_in_recovery() as recovering');
    if (!rows[0]?.recovering) {
      throw new StrataError('NOT_A_REPLICA', `${name} is not in recovery; only a replica can be promoted.`);
    }
    // wait => true: returns once recovery has ended and the server accepts writes.
    const promoted = await client.query<{ done: boolean }>('select pg_promote(true, 60) as done');
    if (!promoted.rows[0]?.done) {
      throw new StrataError('PROMOTION_FAILED', `${name} did not finish promotion within 60 seconds.`);
    }
  });
}

/** The public handle of one embedded server: its URL and the faults tests may inflict. */
export function embeddedServer(parts: {
  name: string;
  url: string;
  port: number;
  dataDir: string;
  logFile: string;
  process: ServerProcess;
}): LocalPostgresServer {
  const { name, process: postmaster, logFile } = parts;
  const stop = (options?: { mode?: ServerStopMode }) =>
    postmaster.signal(STOP_SIGNALS[options?.mode ?? 'fast']);
  const start = () =>
    postmaster.start().catch((cause: unknown) => {
      throw new EmbeddedPostgresError(`PostgreSQL (${name}) did not start.`, logFile, { cause });
    });
  return {
    name,
    url: parts.url,
    port: parts.port,
    dataDir: parts.dataDir,
    logFile,
    pid: () => postmaster.pid(),
    onExit: (listener) => postmaster.onExit(listener),
    stop,
    kill: () => postmaster.signal('SIGKILL'),
    start,
    async restart(options) {
      await stop(options);
      await start();
    },
    promote: () => promote(name, parts.url),
  };
}
