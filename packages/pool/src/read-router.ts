import { ConnectionError, InvalidConfigError, RecoveryConflictError } from '@strata/errors';
import { ambientConnectionOf } from './ambient-connection.js';
import {
  activeSession,
  ConsistencySession,
  type ConsistencySessionOptions,
  parseWalPosition,
  READ_CONSISTENCIES,
  type ReadConsistency,
} from './consistency-session.js';
import { createPoolKnex } from './knex-client.js';
import type { Pool, QueryResult } from './pool.js';
import type { PoolClient } from './pool-client.js';
import type { PoolSettings } from './pool-config.js';
import type { KnexOptions, PoolKnex } from './pool-knex.js';
import type { PooledConnection } from './pooled-connection.js';
import type { ReplicaMember, ReplicaPool, ReplicaSet } from './replica-set.js';
import type { StatementRunner } from './statement-runner.js';
import type { StatementTracing } from './statement-tracing.js';

/** A way to run reads with one consistency: `pool.replica`, `pool.reader('read-your-writes')`. */
export interface PoolReader {
  /** The consistency it reads with; undefined: the current session's, else `replica`. */
  readonly consistency: ReadConsistency | undefined;
  /**
   * Runs one read on a replica the consistency allows, else on the primary. Inside a
   * transaction it runs on the transaction's connection. A replica that fails with a lost
   * connection or a recovery conflict gets the statement retried once on the primary.
   */
  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Checks out a connection to a replica the consistency allows (else the primary), e.g. for a read-only transaction. */
  connect(): Promise<PoolClient>;
  /** A Knex instance whose queries are routed the same way (one connection per query). */
  readonly knex: PoolKnex;
}

/**
 * The primary's pool, as the router uses it.
 * @internal
 */
export interface PrimaryPool extends ReplicaPool {
  readonly pool: Pool;
  readonly settings: PoolSettings;
  /** Statement spans, when the pool has them. */
  readonly tracing: StatementTracing | undefined;
  /** Its statement policy: prepared-statement naming and PgBouncer handling. */
  readonly statements: StatementRunner;
  /** A statement of the pool's own: not counted as a possible write of the current session. */
  internalQuery<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<QueryResult<Row>>;
  release(connection: PooledConnection, destroy: boolean, markWrite?: boolean): void;
}

interface Target {
  readonly pool: ReplicaPool;
  readonly member: ReplicaMember | undefined;
}

/**
 * Decides where each read goes: the transaction's connection when one is ambient; else, by
 * consistency, the primary or a replica (healthy and within `maxReplicaLag`; for
 * read-your-writes also past the session's last write, waited for up to
 * `readYourWritesTimeout`). Without replicas every read goes to the primary.
 * @internal
 */
export class ReadRouter {
  readonly #primary: PrimaryPool;
  readonly #replicas: ReplicaSet | undefined;
  readonly #knexOptions: KnexOptions | undefined;
  readonly #readers = new Map<string, PoolReader>();
  readonly #primaryTarget: Target;
  // Used when no session is active: read-your-writes then covers the whole process's writes.
  readonly #processSession: ConsistencySession;
  /** Whether reads can go anywhere but the primary (so writes must be tracked). A field: it is read on every release. */
  readonly routes: boolean;

  constructor(primary: PrimaryPool, replicas: ReplicaSet | undefined, knexOptions: KnexOptions | undefined) {
    this.#primary = primary;
    this.#replicas = replicas;
    this.routes = replicas !== undefined;
    this.#knexOptions = knexOptions;
    this.#primaryTarget = { pool: primary, member: undefined };
    this.#processSession = this.session({ consistency: 'replica' });
  }

  session(options?: ConsistencySessionOptions): ConsistencySession {
    return new ConsistencySession(this.#primary.pool, () => this.#capturePosition(), options);
  }

  currentSession(): ConsistencySession | undefined {
    return activeSession(this.#primary.pool);
  }

  /**
   * A connection of the primary went back to the pool: the current session may have written,
   * and so has the process (read-your-writes outside any session covers every write).
   */
  markWrite(): void {
    activeSession(this.#primary.pool)?.markWrite();
    this.#processSession.markWrite();
  }

  reader(consistency?: ReadConsistency): PoolReader {
    if (consistency !== undefined && !READ_CONSISTENCIES.includes(consistency)) {
      throw new InvalidConfigError('pool.reader()', [
        { path: 'consistency', message: `must be one of ${READ_CONSISTENCIES.join(', ')}` },
      ]);
    }
    const key = consistency ?? 'session';
    let reader = this.#readers.get(key);
    if (reader === undefined) {
      reader = this.#createReader(consistency);
      this.#readers.set(key, reader);
    }
    return reader;
  }

  /** Where a read with `consistency` goes now. Synchronous unless it must wait for a replica. */
  target(consistency: ReadConsistency | undefined): Target | Promise<Target> {
    const replicas = this.#replicas;
    const session = activeSession(this.#primary.pool);
    const mode = consistency ?? session?.consistency ?? 'replica';
    if (mode === 'primary' || replicas === undefined) return this.#primaryTarget;
    const eligible = replicas.eligible();
    if (eligible.length === 0) return this.#primaryTarget;
    if (mode === 'replica') return this.#on(replicas.pick(eligible));
    return this.#afterWrites(session ?? this.#processSession, replicas, eligible);
  }

  async #afterWrites(
    session: ConsistencySession,
    replicas: ReplicaSet,
    eligible: ReplicaMember[],
  ): Promise<Target> {
    let position: bigint | undefined;
    try {
      position = await session.requiredPosition();
    } catch {
      return this.#primaryTarget; // the primary's position could not be read: read there, to be safe
    }
    if (position === undefined) return this.#on(replicas.pick(eligible));
    const member = await replicas.caughtUp(eligible, position, this.#primary.settings.readYourWritesTimeout);
    return member === undefined ? this.#primaryTarget : this.#on(member);
  }

  #on(member: ReplicaMember): Target {
    return { pool: member.pool, member };
  }

  async #capturePosition(): Promise<bigint | undefined> {
    const { rows } = await this.#primary.internalQuery<{ position: string }>(
      'SELECT pg_current_wal_insert_lsn()::text AS position',
    );
    return rows[0] ? parseWalPosition(rows[0].position) : undefined;
  }

  #createReader(consistency: ReadConsistency | undefined): PoolReader {
    const router = this;
    const primary = this.#primary;
    const replicas = this.#replicas;
    const knexOptions = this.#knexOptions;
    const owners = new WeakMap<PooledConnection, ReplicaPool>();
    let knex: PoolKnex | undefined;
    return {
      consistency,
      async query<Row>(text: string, values?: readonly unknown[]): Promise<QueryResult<Row>> {
        if (ambientConnectionOf(primary.pool) !== undefined) return primary.query<Row>(text, values);
        const chosen = router.target(consistency);
        const target = chosen instanceof Promise ? await chosen : chosen;
        if (target.member === undefined) return primary.internalQuery<Row>(text, values);
        try {
          return await target.pool.query<Row>(text, values);
        } catch (error) {
          if (error instanceof ConnectionError) replicas?.markUnreachable(target.member, error);
          else if (!(error instanceof RecoveryConflictError)) throw error;
          return primary.internalQuery<Row>(text, values);
        }
      },
      async connect(): Promise<PoolClient> {
        const chosen = router.target(consistency);
        return (chosen instanceof Promise ? await chosen : chosen).pool.connect();
      },
      get knex(): PoolKnex {
        knex ??= createPoolKnex(
          {
            pool: primary.pool,
            settings: primary.settings,
            async acquire(stack) {
              const { pool } = await router.target(consistency);
              const connection = await pool.acquire(stack);
              owners.set(connection, pool);
              return connection;
            },
            release(connection, destroy) {
              const owner = owners.get(connection) ?? primary;
              owners.delete(connection);
              if (owner === primary) primary.release(connection, destroy, false);
              else owner.release(connection, destroy);
            },
            fail: (connection, error) =>
              ((connection && owners.get(connection)) ?? primary).fail(connection, error),
            tracing: primary.tracing,
          },
          // The primary's statement policy (naming, PgBouncer) serves the routed Knex too.
          primary.statements,
          knexOptions,
        );
        return knex;
      },
    };
  }
}
