import { redactSecret } from '@strata/errors';
import { formatWalPosition, parseWalPosition } from './consistency-session.js';
import type { HostAddress } from './multi-host-url.js';
import type { PoolEvents, QueryResult } from './pool.js';
import type { PoolClient } from './pool-client.js';
import type { PooledConnection } from './pooled-connection.js';

/**
 * How a replica stands. `healthy`: it takes reads. `lagging`: further behind than
 * `maxReplicaLag` (or by how much is unknown). `unreachable`: the last probe or query failed.
 * `not-a-standby`: it answers but is not in recovery (promoted). `unknown`: not probed yet.
 */
export type ReplicaState = 'healthy' | 'lagging' | 'unreachable' | 'not-a-standby' | 'unknown';

/** One replica as `pool.topology()` reports it. */
export interface ReplicaStatus {
  readonly host: string;
  readonly port: number;
  readonly state: ReplicaState;
  /** How far behind the primary, in ms (0 when it has replayed everything); null when unknown. */
  readonly lagMs: number | null;
  /** How far behind the primary's WAL, in bytes; null when unknown. */
  readonly lagBytes: number | null;
  /** The last WAL position it replayed, as far as the pool knows. */
  readonly replayPosition: string | null;
  readonly checkedAt: Date | null;
  /** Why it is unreachable (no password in it). */
  readonly error?: string;
}

/**
 * The parts of a replica's pool the replica set uses.
 * @internal
 */
export interface ReplicaPool {
  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<Row>>;
  connect(): Promise<PoolClient>;
  acquire(stack: Error | undefined): Promise<PooledConnection>;
  release(connection: PooledConnection, destroy: boolean): void;
  fail(connection: PooledConnection | undefined, error: unknown): unknown;
  on<E extends keyof PoolEvents>(event: E, listener: (...args: PoolEvents[E]) => void): unknown;
  close(options?: { timeoutMs?: number }): Promise<void>;
}

// One round trip: role, replay position, bytes behind the primary's position ($1, when known,
// else behind what the replica has received), and time since the last transaction it replayed.
const PROBE_SQL = `SELECT pg_is_in_recovery() AS standby,
  pg_last_wal_replay_lsn()::text AS replayed,
  greatest(0, pg_wal_lsn_diff(COALESCE($1::pg_lsn, pg_last_wal_receive_lsn()), pg_last_wal_replay_lsn()))::float8 AS lag_bytes,
  (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::float8 AS since_replay_ms`;
const REPLAYED_SQL = 'SELECT pg_last_wal_replay_lsn()::text AS replayed';

// Between two looks at a replica's replay position while a read waits for it (1 ms), or a probe
// (from 5 ms, doubling up to 100 ms).
const REPLAY_POLL_MS = 1;
const PROBE_POLL_MS = 5;
const PROBE_POLL_MAX_MS = 100;

/**
 * One read replica: its pool, and what the last probe said.
 * @internal
 */
export class ReplicaMember {
  readonly pool: ReplicaPool;
  readonly endpoint: HostAddress;
  state: ReplicaState = 'unknown';
  lagMs: number | null = null;
  lagBytes: number | null = null;
  replayed: bigint | undefined;
  checkedAt: Date | null = null;
  error: string | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(pool: ReplicaPool, endpoint: HostAddress) {
    this.pool = pool;
    this.endpoint = endpoint;
  }

  /** Asks the replica how far it has replayed; concurrent callers share one round trip. */
  refreshReplay(onFailure: (error: unknown) => void): Promise<void> {
    this.#refreshing ??= this.pool
      .query<{ replayed: string | null }>(REPLAYED_SQL)
      .then(({ rows }) => this.replayedTo(rows[0]?.replayed), onFailure)
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  /** Records a replay position the replica reported. */
  replayedTo(text: string | null | undefined): void {
    const position = text ? parseWalPosition(text) : undefined;
    if (position !== undefined && (this.replayed === undefined || position > this.replayed)) {
      this.replayed = position;
    }
  }

  status(): ReplicaStatus {
    return {
      host: this.endpoint.host,
      port: this.endpoint.port,
      state: this.state,
      lagMs: this.lagMs === null ? null : Math.round(this.lagMs),
      lagBytes: this.lagBytes,
      replayPosition: this.replayed === undefined ? null : formatWalPosition(this.replayed),
      checkedAt: this.checkedAt,
      ...(this.error === undefined ? {} : { error: this.error }),
    };
  }
}

interface ProbeRow {
  standby: boolean;
  replayed: string | null;
  lag_bytes: number | null;
  since_replay_ms: number | null;
}

/**
 * What the replica set needs from its pool.
 * @internal
 */
export interface ReplicaSetOptions {
  readonly maxReplicaLag: number;
  /** The primary's current WAL position, or undefined when it cannot be read. */
  primaryPosition(): Promise<bigint | undefined>;
  /** A replica's state changed. */
  changed(status: ReplicaStatus, previous: ReplicaState): void;
  /** Passwords that must not appear in a replica's error. */
  readonly secrets: readonly (string | undefined)[];
}

/**
 * The read replicas of a pool and their health: probed every `topologyCheckPeriod` (role,
 * replay position, lag), left out of routing while unreachable, lagging or promoted, and
 * probed again on the next round. Reads are spread round-robin over the healthy ones.
 * @internal
 */
export class ReplicaSet {
  readonly members: readonly ReplicaMember[];
  readonly #options: ReplicaSetOptions;
  #next = 0;
  #checking: Promise<void> | undefined;

  constructor(pools: readonly { pool: ReplicaPool; endpoint: HostAddress }[], options: ReplicaSetOptions) {
    this.#options = options;
    this.members = pools.map(({ pool, endpoint }) => {
      const member = new ReplicaMember(pool, endpoint);
      // A connection that broke says the replica may be down: leave it out until the next probe.
      pool.on('connection-error', ({ error }) => this.markUnreachable(member, error));
      pool.on('remove', ({ reason }) => {
        if (reason === 'broken' || reason === 'ping-failed') {
          this.markUnreachable(member, new Error('a connection to the replica was lost'));
        }
      });
      return member;
    });
  }

  /** Replicas that take reads now. */
  eligible(): ReplicaMember[] {
    return this.members.filter((member) => member.state === 'healthy');
  }

  /** The next of `members`, round-robin. */
  pick(members: readonly ReplicaMember[]): ReplicaMember {
    this.#next = (this.#next + 1) % 1_000_000;
    return members[this.#next % members.length] as ReplicaMember;
  }

  /**
   * A replica among `candidates` that has replayed `position`, asking them again (every
   * millisecond or so, one round trip per replica however many reads wait) until
   * `timeoutMs` passes; undefined when none caught up in time.
   */
  async caughtUp(
    candidates: readonly ReplicaMember[],
    position: bigint,
    timeoutMs: number,
  ): Promise<ReplicaMember | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (let asked = false; ; asked = true) {
      const usable = candidates.filter((member) => member.state === 'healthy');
      const ready = usable.filter((member) => member.replayed !== undefined && member.replayed >= position);
      if (ready.length > 0) return this.pick(ready);
      if (usable.length === 0 || performance.now() >= deadline) return undefined;
      if (asked) await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
      await Promise.all(
        usable.map((member) => member.refreshReplay((error) => this.markUnreachable(member, error))),
      );
    }
  }

  markUnreachable(member: ReplicaMember, error: unknown): void {
    member.error = this.#describe(error);
    this.#set(member, 'unreachable');
  }

  /** Probes every replica once (a round already under way is shared). */
  check(): Promise<void> {
    this.#checking ??= this.#probeAll().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #probeAll(): Promise<void> {
    const sampledAt = performance.now();
    const primary = await this.#options.primaryPosition().catch(() => undefined);
    await Promise.all(
      this.members.map(async (member) => {
        const previous = member.state;
        try {
          await this.#probe(member, primary, sampledAt);
        } catch (error) {
          member.error = this.#describe(error);
          member.state = 'unreachable';
        }
        member.checkedAt = new Date();
        if (member.state !== previous) this.#options.changed(member.status(), previous);
      }),
    );
  }

  /**
   * Lag is how stale the replica's data is: 0 when it has replayed the primary's position of
   * this round; otherwise the time it takes to get there, watched up to `maxReplicaLag`. (The
   * time since its last replayed transaction alone would call a replica of an idle primary
   * hours behind.) Without the primary's position, it is 0 when the replica replayed all it
   * received, else the time since its last replayed transaction.
   */
  async #probe(member: ReplicaMember, primary: bigint | undefined, sampledAt: number): Promise<void> {
    const position = primary === undefined ? null : formatWalPosition(primary);
    const { rows } = await member.pool.query<ProbeRow>(PROBE_SQL, [position]);
    const row = rows[0];
    member.error = undefined;
    member.replayedTo(row?.replayed);
    member.lagBytes = row?.lag_bytes ?? null;
    if (row?.standby !== true) {
      member.state = 'not-a-standby';
      member.lagMs = null;
      return;
    }
    const { maxReplicaLag } = this.#options;
    if (primary === undefined) {
      member.lagMs = member.lagBytes === 0 ? 0 : row.since_replay_ms;
    } else {
      for (let pause = PROBE_POLL_MS; member.replayed === undefined || member.replayed < primary; ) {
        if (performance.now() - sampledAt > maxReplicaLag) break;
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, PROBE_POLL_MAX_MS);
        const { rows: replayed } = await member.pool.query<{ replayed: string | null }>(REPLAYED_SQL);
        member.replayedTo(replayed[0]?.replayed);
      }
      const caughtUp = member.replayed !== undefined && member.replayed >= primary;
      const waited = member.lagBytes === 0 ? 0 : performance.now() - sampledAt;
      member.lagMs = caughtUp ? waited : Math.max(waited, row.since_replay_ms ?? 0);
    }
    member.state = member.lagMs !== null && member.lagMs <= maxReplicaLag ? 'healthy' : 'lagging';
  }

  status(): ReplicaStatus[] {
    return this.members.map((member) => member.status());
  }

  async close(timeoutMs: number): Promise<void> {
    await Promise.all(this.members.map((member) => member.pool.close({ timeoutMs })));
  }

  #set(member: ReplicaMember, state: ReplicaState): void {
    const previous = member.state;
    member.state = state;
    if (previous !== state) this.#options.changed(member.status(), previous);
  }

  #describe(error: unknown): string {
    let text = error instanceof Error ? error.message : String(error);
    for (const secret of this.#options.secrets) text = redactSecret(text, secret);
    return text;
  }
}
