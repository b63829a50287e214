import type { EventEmitter } from 'node:events';
import { parseWalPosition } from './consistency-session.js';
import { formatHost, type HostAddress, type TargetSessionAttrs } from './multi-host-url.js';
import type { PoolEvents } from './pool.js';
import type { DriverConfig, PoolSettings } from './pool-config.js';
import type { KnexOptions } from './pool-knex.js';
import { PrimaryResolver } from './primary-resolver.js';
import { type PrimaryPool, ReadRouter } from './read-router.js';
import { type ReplicaPool, ReplicaSet, type ReplicaStatus } from './replica-set.js';
import { type ConnectionOpener, DirectConnector, type ServerConnector } from './server-connector.js';
import type { ServerRole } from './server-role.js';
import type { ReplicaSettings } from './topology-config.js';

/** Where a pool's connections go, as `pool.topology()` reports it. */
export interface PoolTopologyStatus {
  /** The server new connections go to; undefined while the pool is looking for it. */
  readonly primary: HostAddress | undefined;
  /** Whether the pool is looking for the server `targetSessionAttrs` asks for. */
  readonly resolving: boolean;
  readonly targetSessionAttrs: TargetSessionAttrs;
  readonly replicas: readonly ReplicaStatus[];
}

/**
 * A read replica's configuration, resolved.
 * @internal
 */
export interface ReplicaTarget {
  readonly settings: ReplicaSettings;
  readonly clientConfig: DriverConfig;
}

/**
 * What a pool's topology is made of, besides the pool itself.
 * @internal
 */
export interface TopologyParts {
  readonly clientConfig: DriverConfig;
  /** How the pool opens a connection to a host; every connector opens through it. */
  readonly open: ConnectionOpener;
  readonly replicas: readonly ReplicaTarget[];
  readonly createReplicaPool: (settings: PoolSettings, clientConfig: DriverConfig) => ReplicaPool;
  readonly knexOptions: KnexOptions | undefined;
}

/**
 * What the topology needs from the pool that owns it.
 * @internal
 */
export interface TopologyOwner extends PrimaryPool, Pick<EventEmitter<PoolEvents>, 'emit'> {
  /** The primary moved to `current`: connections to other servers must go. */
  retireOthers(current: HostAddress): void;
}

const ROLE_SQL =
  "SELECT pg_is_in_recovery() AS standby, current_setting('default_transaction_read_only') = 'on' AS read_only";

/**
 * The settings of a replica's own pool: the primary pool's, aimed at the replica.
 * @internal
 */
export function replicaPoolSettings(settings: PoolSettings, replica: ReplicaSettings): PoolSettings {
  return Object.freeze({
    ...settings,
    connectionString: replica.connectionString,
    host: replica.host,
    port: replica.port,
    database: replica.database,
    hosts: Object.freeze([{ host: replica.host, port: replica.port }]),
    // Its metrics apart from the primary's.
    poolName: `${settings.poolName} replica ${formatHost(replica)}`,
    targetSessionAttrs: 'any' as const,
    replicas: Object.freeze([]),
  });
}

/**
 * A pool's topology: the connector that finds its server (one host, or the primary among
 * several), the read replicas, the router that sends reads to them, and the periodic check
 * (every `topologyCheckPeriod`) that probes replicas and reads the primary's role again.
 * @internal
 */
export class PoolTopology {
  readonly connector: ServerConnector;
  readonly router: ReadRouter;
  readonly #owner: TopologyOwner;
  readonly #replicas: ReplicaSet | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  constructor(owner: TopologyOwner, parts: TopologyParts) {
    const { clientConfig, open, replicas, createReplicaPool, knexOptions } = parts;
    this.#owner = owner;
    const { settings } = owner;
    const replicaPools = replicas.map((replica) => ({
      endpoint: { host: replica.settings.host, port: replica.settings.port },
      pool: createReplicaPool(replicaPoolSettings(settings, replica.settings), replica.clientConfig),
    }));
    const { hosts, targetSessionAttrs } = settings;
    this.connector =
      hosts.length > 1 || targetSessionAttrs !== 'any'
        ? new PrimaryResolver({
            hosts,
            targetSessionAttrs,
            clientConfig,
            open,
            acquireTimeout: settings.acquireTimeout,
            connectTimeout: settings.connectTimeout,
            failoverBackoff: settings.failoverBackoff,
            onResolved: (current, previous) => {
              owner.retireOthers(current);
              owner.emit('primary', { host: current.host, port: current.port, previous });
            },
            readRole: () => this.#readRole(),
          })
        : new DirectConnector(clientConfig, open);
    this.#replicas =
      replicaPools.length === 0
        ? undefined
        : new ReplicaSet(replicaPools, {
            maxReplicaLag: settings.maxReplicaLag,
            primaryPosition: () => this.#primaryPosition(),
            changed: (status, previous) => owner.emit('replica-state', { ...status, previous }),
            secrets: [clientConfig.password],
          });
    this.router = new ReadRouter(owner, this.#replicas, knexOptions);
    if (this.connector instanceof PrimaryResolver || this.#replicas !== undefined) {
      this.#timer = setInterval(() => void this.check(), settings.topologyCheckPeriod).unref();
    }
  }

  /** One round of checks: every replica probed, the primary's role read again (a round under way is shared). */
  check(): Promise<void> {
    this.#checking ??= Promise.all([this.#replicas?.check(), this.connector.recheck()]).then(
      () => {
        this.#checking = undefined;
      },
      () => {
        this.#checking = undefined;
      },
    );
    return this.#checking;
  }

  /** Probes the replicas once, so that reads can use them as soon as `ready()` returns. */
  async ready(): Promise<void> {
    await this.#replicas?.check();
  }

  status(): PoolTopologyStatus {
    return {
      primary: this.connector.current,
      resolving: this.connector.resolving,
      targetSessionAttrs: this.#owner.settings.targetSessionAttrs,
      replicas: this.#replicas?.status() ?? [],
    };
  }

  async close(timeoutMs: number): Promise<void> {
    clearInterval(this.#timer);
    this.connector.close();
    await this.#replicas?.close(timeoutMs);
  }

  async #readRole(): Promise<ServerRole> {
    const { rows } = await this.#owner.internalQuery<{ standby: boolean; read_only: boolean }>(ROLE_SQL);
    return { standby: rows[0]?.standby ?? false, readOnly: rows[0]?.read_only ?? false };
  }

  // While the primary is being looked for, replicas are judged without it (no wait for it).
  async #primaryPosition(): Promise<bigint | undefined> {
    if (this.connector.current === undefined) return undefined;
    const { rows } = await this.#owner.internalQuery<{ position: string | null }>(
      'SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS position',
    );
    const position = rows[0]?.position;
    return position ? parseWalPosition(position) : undefined;
  }
}
