import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { takeBaseBackup } from './base-backup.js';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';
import { embeddedServer, postmasterProcess } from './embedded-server.js';
import type { LocalPostgresServer } from './local-postgres.js';
import type { OrphanPolicy } from './owner-watchdog.js';
import { writeServerFile } from './server-file.js';
import type { ProcessIdentity, ServerProcess } from './server-process.js';
import { waitUntil } from './wait-until.js';
import { withClient } from './with-client.js';

const REPLICATION_ROLE = 'strata_replication';

/** Login of the role replicas stream as; only ever written to the replicas' own data directories. */
export interface ReplicationLogin {
  user: string;
  password: string;
}

/**
 * Settings a primary needs to feed `count` streaming replicas. Most are PostgreSQL 16's
 * defaults, set anyway so that user settings for speed cannot silently turn replication off;
 * the short retry interval lets a replica reconnect promptly after a primary restart.
 */
export function primaryReplicationSettings(count: number): Record<string, string | number> {
  return {
    wal_level: 'replica',
    max_wal_senders: Math.max(10, count + 2),
    max_replication_slots: Math.max(10, count + 2),
    hot_standby: 'on',
    wal_retrieve_retry_interval: '250ms',
  };
}

/** Creates the role replicas log in as (initdb's pg_hba.conf already lets it in on loopback). */
export async function createReplicationLogin(primaryUrl: string): Promise<ReplicationLogin> {
  const login = { user: REPLICATION_ROLE, password: randomBytes(18).toString('base64url') };
  await withClient(primaryUrl, async (client) => {
    // CREATE ROLE takes no bind parameters: format() quotes the name and the password.
    const { rows } = await client.query<{ ddl: string }>(
      "select format('create role %I with login replication password %L', $1::text, $2::text) as ddl",
      [login.user, login.password],
    );
    await client.query(rows[0]?.ddl as string);
  });
  return login;
}

// A libpq conninfo value inside a postgresql.conf string: two layers of quoting.
const conninfoValue = (value: string) => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
const configString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

export interface ReplicaPlan {
  /** 1-based: `replica-1` streams through slot `strata_replica_1`. */
  index: number;
  primary: { url: string; dataDir: string; port: number };
  login: ReplicationLogin;
  dataDir: string;
  logFile: string;
  port: number;
  url: string;
  postgresBinary: string;
  flags: readonly string[];
  runAs: ProcessIdentity | undefined;
  orphanPolicy?: OrphanPolicy | undefined;
}

/**
 * Makes a streaming replica of a running primary from the same binaries: a base backup,
 * `standby.signal`, `primary_conninfo` and `primary_slot_name` in `postgresql.auto.conf`. It
 * returns once the replica accepts read-only connections and the primary's
 * `pg_stat_replication` shows it streaming. `track` receives the process and its log before
 * the start, so the owner can stop them whatever happens next.
 */
export async function startReplica(
  plan: ReplicaPlan,
  track: (process: ServerProcess, log: WriteStream) => void,
): Promise<LocalPostgresServer> {
  const name = `replica-${plan.index}`;
  const applicationName = `strata_replica_${plan.index}`;
  const log = createWriteStream(plan.logFile, { flags: 'a' });
  const postmaster = postmasterProcess({
    binary: plan.postgresBinary,
    dataDir: plan.dataDir,
    port: plan.port,
    flags: plan.flags,
    runAs: plan.runAs,
    output: (chunk) => log.write(chunk),
    orphanPolicy: plan.orphanPolicy,
  });
  track(postmaster, log);
  const failed = (step: string, cause?: unknown) =>
    new EmbeddedPostgresError(`Replica ${plan.index} ${step}.`, plan.logFile, { cause });

  try {
    await takeBaseBackup({
      primaryUrl: plan.primary.url,
      primaryDataDir: plan.primary.dataDir,
      targetDir: plan.dataDir,
      slot: applicationName,
      owner: plan.runAs,
    });
  } catch (cause) {
    throw failed('could not be copied from the primary', cause);
  }
  const conninfo = [
    'host=127.0.0.1',
    `port=${plan.primary.port}`,
    `user=${conninfoValue(plan.login.user)}`,
    `password=${conninfoValue(plan.login.password)}`,
    `application_name=${applicationName}`,
  ].join(' ');
  await writeServerFile(path.join(plan.dataDir, 'standby.signal'), '', plan.runAs);
  await writeServerFile(
    path.join(plan.dataDir, 'postgresql.auto.conf'),
    `primary_conninfo = ${configString(conninfo)}\nprimary_slot_name = ${configString(applicationName)}\n`,
    plan.runAs,
    'a',
  );

  const server = embeddedServer({
    name,
    url: plan.url,
    port: plan.port,
    dataDir: plan.dataDir,
    logFile: plan.logFile,
    process: postmaster,
  });
  await server.start();
  await waitUntil(
    () =>
      withClient(plan.primary.url, async (client) => {
        const { rows } = await client.query(
          "select 1 from pg_stat_replication where application_name = $1 and state = 'streaming'",
          [applicationName],
        );
        return rows.length > 0;
      }),
    { timeoutMs: 60_000, timeoutError: () => failed('started but never streamed from the primary') },
  );
  return server;
}
