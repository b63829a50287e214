import { createWriteStream, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { redactConnectionString, StrataError } from '@strata/errors';
import { findFreePort } from './find-free-port.js';
import { findPgBouncerBinary } from './find-pgbouncer-binary.js';
import type { LocalPgBouncer } from './local-pgbouncer.js';
import type { ProviderAttempt } from './no-postgres-available-error.js';
import { parseUpstream, pgBouncerIni, pgBouncerUserlist } from './pgbouncer-config.js';
import { PgBouncerUnavailableError } from './pgbouncer-unavailable-error.js';
import { serverIdentity } from './postgres-user.js';
import { giveToServerUser, writeServerFile } from './server-file.js';
import { ServerProcess } from './server-process.js';
import {
  parseStartPgBouncerOptions,
  type ResolvedStartPgBouncerOptions,
  type StartPgBouncerOptions,
} from './start-pgbouncer-options.js';
import { tieToProcess } from './stop-on-signal.js';
import { withClient } from './with-client.js';

function withAddress(url: string, changes: { host?: string; port?: number; database?: string }): string {
  const parsed = new URL(url);
  if (changes.host) parsed.hostname = changes.host;
  if (changes.port) parsed.port = String(changes.port);
  if (changes.database) parsed.pathname = `/${encodeURIComponent(changes.database)}`;
  return parsed.toString();
}

async function showVersion(adminUrl: string): Promise<string> {
  return withClient(adminUrl, async (client) => {
    const { rows } = await client.query<{ version: string }>('SHOW VERSION');
    const text = rows[0]?.version ?? '';
    return /\d+\.\d+(\.\d+)?/.exec(text)?.[0] ?? text;
  });
}

// PgBouncer 1.23 made SIGTERM wait for every client to leave; SIGQUIT took over its old meaning.
function immediateShutdownSignal(version: string): NodeJS.Signals {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 23) ? 'SIGQUIT' : 'SIGTERM';
}

async function fromEnvironment(
  url: string,
  variable: string,
  options: ResolvedStartPgBouncerOptions,
): Promise<LocalPgBouncer> {
  const adminUrl = withAddress(url, { database: 'pgbouncer' });
  const version = await showVersion(adminUrl).catch(() => 'unknown');
  const poolMode = await withClient(adminUrl, async (client) => {
    const { rows } = await client.query<{ key: string; value: string }>('SHOW CONFIG');
    return rows.find((row) => row.key === 'pool_mode')?.value;
  }).catch(() => undefined);
  if (poolMode && poolMode !== options.poolMode) {
    throw new StrataError(
      'PGBOUNCER_POOL_MODE_MISMATCH',
      `The PgBouncer at ${variable} pools in ${poolMode} mode, but ${options.poolMode} mode was asked for. ` +
        `Ask for ${poolMode}, or unset ${variable} to start a local PgBouncer.`,
    );
  }
  const notOurs = () =>
    Promise.reject(
      new StrataError(
        'PGBOUNCER_NOT_OWNED',
        `The PgBouncer at ${variable} was not started here, so it cannot be killed or restarted. ` +
          `Unset ${variable} to run fault tests on a local PgBouncer.`,
      ),
    );
  return {
    url,
    adminUrl,
    version,
    poolMode: options.poolMode,
    provider: 'url',
    pid: () => undefined,
    stop: async () => {},
    kill: notOurs,
    restart: notOurs,
  };
}

async function startBinary(binary: string, options: ResolvedStartPgBouncerOptions): Promise<LocalPgBouncer> {
  const upstream = parseUpstream(options.upstream);
  const runAs = await serverIdentity();
  // PgBouncer refuses root: as root it runs as "postgres", which must enter this folder.
  const dir = await mkdtemp(path.join(tmpdir(), 'strata-pgbouncer-'));
  await giveToServerUser(dir, runAs);
  const logFile = `${dir}.log`;
  const port = options.port ?? (await findFreePort());
  const iniFile = path.join(dir, 'pgbouncer.ini');
  const authFile = path.join(dir, 'userlist.txt');
  await writeServerFile(authFile, pgBouncerUserlist(upstream), runAs);
  await writeServerFile(
    iniFile,
    pgBouncerIni({ upstream, port, poolMode: options.poolMode, authFile, settings: options.settings }),
    runAs,
  );
  const url = withAddress(options.upstream, { host: '127.0.0.1', port, database: upstream.database });
  const adminUrl = withAddress(url, { database: 'pgbouncer' });
  const log = createWriteStream(logFile, { flags: 'a' });
  const endLog = () => new Promise((resolve) => log.end(resolve));
  const bouncer = new ServerProcess({
    command: binary,
    args: [iniFile],
    runAs,
    output: (chunk) => log.write(chunk),
    isReady: () => showVersion(adminUrl).then(() => true),
    startTimeoutMs: 30_000,
    orphanPolicy: { signal: 'SIGTERM', removePaths: [dir, logFile] },
  });
  let shutdownSignal: NodeJS.Signals = 'SIGTERM';
  const tie = tieToProcess(
    async () => {
      await bouncer.signal(shutdownSignal);
      await endLog();
      await rm(dir, { recursive: true, force: true });
      await rm(logFile, { force: true });
    },
    // If the process exits without calling stop(), PgBouncer must not outlive it nor leave files.
    () => {
      bouncer.signalSync('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      rmSync(logFile, { force: true });
    },
  );
  let version: string;
  try {
    await bouncer.start();
    version = await showVersion(adminUrl);
  } catch (cause) {
    tie.untie();
    await bouncer.signal('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    await endLog();
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`${reason}; see its log: ${logFile}`, { cause });
  }
  shutdownSignal = immediateShutdownSignal(version);
  let stopped = false;
  return {
    url,
    adminUrl,
    version,
    poolMode: options.poolMode,
    provider: 'binary',
    logFile,
    pid: () => bouncer.pid(),
    stop() {
      stopped = true;
      return tie.stop();
    },
    kill: () => bouncer.signal('SIGKILL'),
    async restart() {
      if (stopped) throw new StrataError('PGBOUNCER_STOPPED', 'This PgBouncer was stopped; start a new one.');
      await bouncer.signal(shutdownSignal);
      await bouncer.start().catch((cause: unknown) => {
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new StrataError(
          'PGBOUNCER_START_FAILED',
          `PgBouncer did not start again: ${reason}; see its log: ${logFile}`,
          {
            cause,
          },
        );
      });
    },
  };
}

/**
 * Starts a real PgBouncer in front of `upstream`, or finds one. Tries, in order: a running
 * PgBouncer's URL from the environment (`STRATA_TEST_PGBOUNCER_URL`); the `pgbouncer` program
 * (on PATH or in /usr/sbin and the like), run on a free port of 127.0.0.1 with its own ini
 * and auth file, as the `postgres` user when we are root. Logs one line naming the choice.
 * When none works, throws `PgBouncerUnavailableError` saying what each step tried and how to
 * install PgBouncer.
 *
 * @example
 * const bouncer = await startPgBouncer({ upstream: server.connectionString, poolMode: 'transaction' });
 * // ... connect to bouncer.url; SHOW POOLS on bouncer.adminUrl
 * await bouncer.stop();
 */
export async function startPgBouncer(options: StartPgBouncerOptions): Promise<LocalPgBouncer> {
  const resolved = parseStartPgBouncerOptions(options);
  const attempts: ProviderAttempt[] = [];
  const announce = (bouncer: LocalPgBouncer, detail: string) => {
    if (resolved.log) {
      resolved.log(
        `[strata] PgBouncer ${bouncer.version} from ${bouncer.provider} (${detail}, ${bouncer.poolMode} pooling): ${redactConnectionString(bouncer.url)}`,
      );
    }
    return bouncer;
  };

  for (const provider of resolved.providers) {
    if (provider === 'url') {
      const variable = resolved.urlEnvironmentVariables.find((name) => process.env[name]);
      const url = variable && process.env[variable];
      if (url) return announce(await fromEnvironment(url, variable, resolved), `from ${variable}`);
      attempts.push({ provider, tried: resolved.urlEnvironmentVariables.join(', '), outcome: 'none is set' });
      continue;
    }
    const found = await findPgBouncerBinary(resolved.binary);
    if (!found.binary) {
      attempts.push({ provider, tried: found.tried, outcome: 'not found' });
      continue;
    }
    try {
      return announce(await startBinary(found.binary, resolved), found.binary);
    } catch (cause) {
      attempts.push({
        provider,
        tried: found.binary,
        outcome: cause instanceof Error ? cause.message : String(cause),
      });
    }
  }
  throw new PgBouncerUnavailableError(attempts);
}
