import { redactConnectionString } from '@strata/errors';
import { parse as parseConnectionString } from 'pg-connection-string';
import {
  type ConnectionUrl,
  DEFAULT_PORT,
  type HostAddress,
  parseConnectionUrl,
  TARGET_SESSION_ATTRS,
  type TargetSessionAttrs,
} from './multi-host-url.js';
import type { DriverConfig } from './pool-config.js';

/** Whether `value` parses as a URL (WHATWG). */
export function isUrl(value: string): boolean {
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

/** The fields of the pool's (validated) configuration the topology is read from. */
interface TopologyInput {
  readonly connectionString?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly hosts?: readonly (string | HostAddress)[] | undefined;
  readonly targetSessionAttrs?: TargetSessionAttrs | undefined;
  readonly replicas: readonly string[];
}

/** What is wrong with the `target_session_attrs` of a connection URL, if anything. */
export function targetSessionAttrsProblem(connectionString: string): string | undefined {
  const url = parseConnectionUrl(connectionString);
  const attrs = 'problem' in url ? undefined : url.targetSessionAttrs;
  if (attrs === undefined || (TARGET_SESSION_ATTRS as readonly string[]).includes(attrs)) return undefined;
  return `has target_session_attrs=${attrs}; use one of ${TARGET_SESSION_ATTRS.join(', ')}`;
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
