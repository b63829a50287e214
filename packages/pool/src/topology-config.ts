import { redactConnectionString } from '@strata/errors';
import { parse as parseConnectionString } from 'pg-connection-string';
import { z } from 'zod';
import {
  type ConnectionUrl,
  DEFAULT_PORT,
  type HostAddress,
  parseConnectionUrl,
  TARGET_SESSION_ATTRS,
  type TargetSessionAttrs,
} from './multi-host-url.js';
import type { DriverConfig } from './pool-config.js';

const milliseconds = () =>
  z.number().int('must be a whole number of milliseconds').min(0, 'must be 0 or more');
const positiveMilliseconds = () =>
  z.number().int('must be a whole number of milliseconds').positive('must be more than 0');

function isUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** Whether `value` is a connection URL the pool can use: one host or several (libpq style). */
export function isConnectionUrl(value: string): boolean {
  const parsed = parseConnectionUrl(value);
  return !('problem' in parsed) && isUrl(parsed.singleHostUrl);
}

const hostSchema = z.union([
  z
    .string()
    .min(1, 'must not be empty')
    .refine(
      (value) => isConnectionUrl(`postgres://${value}`) && !value.includes(','),
      'must be "host" or "host:port" (IPv6 in brackets: "[::1]:5432")',
    ),
  z.strictObject({
    host: z.string().min(1, 'must not be empty'),
    port: z.number().int().min(1).max(65_535).default(DEFAULT_PORT),
  }),
]);

const replicaUrlSchema = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
  .refine(
    (value) => !/^postgres(ql)?:\/\//.test(value) || isUrl(value),
    'must be a valid URL naming one server (check the port and that special characters are %-encoded)',
  );

/**
 * The configuration of a pool's topology, spread into `poolConfigSchema`: several hosts
 * (failover to whichever is the primary) and read replicas. Every default lives here.
 */
export const topologyConfigShape = {
  /**
   * Hosts to find the primary among (`'host:port'` or `{ host, port }`), in order. Wins over
   * the host list of `connectionString` and over `host`/`port`.
   */
  hosts: z.array(hostSchema).min(1, 'must list at least one host').optional(),
  /**
   * Which host to use: libpq's `target_session_attrs`. Default: the URL's parameter, else
   * `read-write` with several hosts and `any` with one.
   */
  targetSessionAttrs: z.enum(TARGET_SESSION_ATTRS).optional(),
  /** Read replicas, one URL each; user, password, database and TLS default to the primary's. */
  replicas: z.array(replicaUrlSchema).default([]),
  /** A replica further behind than this (ms) gets no reads until it catches up. */
  maxReplicaLag: milliseconds().default(1_000),
  /** How long a read-your-writes read waits for a replica to replay the session's last write before it goes to the primary. */
  readYourWritesTimeout: milliseconds().default(100),
  /** How often replicas are probed (health, lag) and the primary's role is checked again. */
  topologyCheckPeriod: positiveMilliseconds().default(1_000),
  /** Backoff between rounds of looking for the primary: doubling from `baseDelay` to `maxDelay`, with jitter. */
  failoverBackoff: z
    .strictObject({
      baseDelay: positiveMilliseconds().default(100),
      maxDelay: positiveMilliseconds().default(1_000),
    })
    .refine((backoff) => backoff.maxDelay >= backoff.baseDelay, {
      path: ['maxDelay'],
      message: 'must be at least baseDelay',
    })
    .default({ baseDelay: 100, maxDelay: 1_000 }),
};

/** Environment variables of the topology, and the field each one sets. */
export const TOPOLOGY_ENVIRONMENT_VARIABLES = {
  DATABASE_REPLICA_URLS: { field: 'replicas', type: 'list' },
  STRATA_POOL_MAX_REPLICA_LAG_MS: { field: 'maxReplicaLag', type: 'integer' },
  STRATA_POOL_READ_YOUR_WRITES_TIMEOUT_MS: { field: 'readYourWritesTimeout', type: 'integer' },
  STRATA_POOL_TOPOLOGY_CHECK_PERIOD_MS: { field: 'topologyCheckPeriod', type: 'integer' },
} as const;

/**
 * A comma-separated list of URLs (DATABASE_REPLICA_URLS). Commas inside a URL — a libpq host
 * list — do not split it: only a comma followed by a new `postgres://` does.
 */
export function splitUrlList(raw: string): string[] {
  return raw
    .split(/,(?=\s*postgres(?:ql)?:\/\/)/i)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

type TopologyInput = z.output<z.ZodObject<typeof topologyConfigShape>> & {
  connectionString?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
};

/** Problems the schema cannot see field by field: the URL's `target_session_attrs`. */
export function topologyIssues(config: TopologyInput): { path: string[]; message: string }[] {
  const url = config.connectionString ? parseConnectionUrl(config.connectionString) : undefined;
  const attrs = url && !('problem' in url) ? url.targetSessionAttrs : undefined;
  if (attrs === undefined || (TARGET_SESSION_ATTRS as readonly string[]).includes(attrs)) return [];
  return [
    {
      path: ['connectionString'],
      message: `has target_session_attrs=${attrs}; use one of ${TARGET_SESSION_ATTRS.join(', ')}`,
    },
  ];
}

/** A read replica as `pool.config` shows it: no password. */
export interface ReplicaSettings {
  /** The replica's URL with its password replaced by `***`. */
  readonly connectionString: string;
  readonly host: string;
  readonly port: number;
  readonly database: string | undefined;
}

/** The resolved topology: where the primary may be, how to pick it, and the replicas. */
export interface ResolvedTopology {
  readonly hosts: readonly HostAddress[];
  readonly targetSessionAttrs: TargetSessionAttrs;
  readonly replicas: readonly { settings: ReplicaSettings; clientConfig: DriverConfig }[];
}

/** The URL's host list and the single-host URL the rest of the configuration is read from. */
export function readConnectionUrl(connectionString: string | undefined): ConnectionUrl | undefined {
  if (!connectionString) return undefined;
  const parsed = parseConnectionUrl(connectionString);
  return 'problem' in parsed ? undefined : parsed;
}

/**
 * The hosts (explicit `hosts`, else discrete `host`/`port` as one host, else the URL's list),
 * the target_session_attrs, and each replica's driver config: the primary's, with what the
 * replica's URL names put over it.
 */
export function resolveTopology(
  config: TopologyInput,
  url: ConnectionUrl | undefined,
  primary: Omit<DriverConfig, 'host' | 'port'>,
): ResolvedTopology {
  const urlHosts = url?.hosts ?? [{ host: 'localhost', port: DEFAULT_PORT }];
  const first = urlHosts[0] as HostAddress;
  const hosts: HostAddress[] = config.hosts
    ? config.hosts.map((entry) => (typeof entry === 'string' ? hostOf(entry) : entry))
    : config.host !== undefined || config.port !== undefined
      ? [{ host: config.host ?? first.host, port: config.port ?? first.port }]
      : [...urlHosts];
  const targetSessionAttrs =
    config.targetSessionAttrs ??
    (url?.targetSessionAttrs as TargetSessionAttrs | undefined) ??
    (hosts.length > 1 ? 'read-write' : 'any');
  const replicas = config.replicas.map((replicaUrl) => {
    const parsed = parseConnectionString(replicaUrl);
    const clientConfig: DriverConfig = {
      ...primary,
      host: parsed.host || 'localhost',
      port: parsed.port ? Number(parsed.port) : DEFAULT_PORT,
      database: parsed.database || primary.database,
      user: parsed.user || primary.user,
      password: parsed.password || primary.password,
      ssl: (parsed.ssl as DriverConfig['ssl'] | undefined) ?? primary.ssl,
      ...(parsed.options && { options: parsed.options }),
    };
    const settings: ReplicaSettings = Object.freeze({
      connectionString: redactConnectionString(replicaUrl),
      host: clientConfig.host,
      port: clientConfig.port,
      database: clientConfig.database,
    });
    return { settings, clientConfig };
  });
  return { hosts, targetSessionAttrs, replicas };
}

function hostOf(entry: string): HostAddress {
  const parsed = parseConnectionUrl(`postgres://${entry}`);
  return 'problem' in parsed ? { host: entry, port: DEFAULT_PORT } : (parsed.hosts[0] as HostAddress);
}
