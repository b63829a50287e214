import type { EventEmitter } from 'node:events';
import { ConnectionRejectedError, mapConnectError } from '@strata/errors';
import type pg from 'pg';
import { formatHost, type HostAddress, sameHost } from './multi-host-url.js';
import type { PoolEvents } from './pool.js';
import type { DriverConfig, PoolSettings } from './pool-config.js';
import { openConnection, type PooledConnection } from './pooled-connection.js';
import { isSessionParameter, sessionSetSql, withoutSessionParameters } from './session-settings.js';

/** PgBouncer's pool modes the pool adapts to (statement mode is treated as transaction mode). */
export type PgBouncerPoolMode = 'transaction' | 'session';

/** What the pool learnt about PgBouncer on its first connection, and what it changed. */
export interface PgBouncerFinding {
  /** The pool mode of the PgBouncer in front, or `false`: none. */
  mode: PgBouncerPoolMode | false;
  /** True when found by detection (`pgbouncer: 'auto'`), false when configured. */
  detected: boolean;
  /** One line for a log: what was found, how, and what the pool does about it. */
  message: string;
}

const BACKEND_PID = 'SELECT pg_backend_pid() AS pid';

/** The value of `promise`, or undefined when it has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function backendPid(client: pg.Client, sql = BACKEND_PID): Promise<number> {
  const result = (await client.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  return Number(last?.rows[0]?.pid);
}

/**
 * Opens the pool's connections the way the PgBouncer in front (if any) needs. Directly, session
 * settings travel as startup parameters. Through PgBouncer, which refuses them, they are left
 * out: in session mode one `SET` after connecting applies them; in transaction mode the pool
 * applies them per transaction (see `TransactionPooling`).
 *
 * With `pgbouncer: 'auto'` the first connection finds out, cheaply and without admin rights:
 * PgBouncer hands each client a cancel key (BackendKeyData) of its own, so the process id in it
 * differs from the server's `pg_backend_pid()` — one round trip that PostgreSQL itself always
 * answers with the same pid. A refused session startup parameter (08P01) also shows a pooler;
 * the connection is then opened again without them. Behind a pooler, a second, short-lived
 * client tells the mode: it opens a transaction (holding a server connection) and the first
 * client asks for its backend again. In session mode the first client keeps its own backend
 * and the second never gets it; in transaction mode they share, or the first moves. When the
 * probe cannot tell (the second client waited past `connectTimeout`, or was refused), the pool
 * assumes transaction mode: its handling is correct in session mode too, only less cheap.
 *
 * With several hosts the failover connector picks the host and opens through here (`open`'s
 * `host`), so every host gets the same handling; one PgBouncer mode is assumed for all hosts.
 * @internal
 */
export class PgBouncerMode {
  #mode: PgBouncerPoolMode | false | undefined;
  #detecting: Promise<PooledConnection> | undefined;
  #detectingAt: HostAddress | undefined;
  #reported = false;
  readonly #direct: DriverConfig;
  readonly #pooled: DriverConfig;
  readonly #sessionSet: string | undefined;
  readonly #settings: PoolSettings;
  readonly #statements: { adapt(mode: PgBouncerPoolMode | false): void };
  readonly #events: Pick<EventEmitter<PoolEvents>, 'emit' | 'listenerCount'>;

  /**
   * `statements` is told the mode before any connection is handed out; `events` gets the
   * `pgbouncer` event (a detected PgBouncer nobody listens for goes to `console.info`).
   */
  constructor(
    settings: PoolSettings,
    clientConfig: DriverConfig,
    statements: { adapt(mode: PgBouncerPoolMode | false): void },
    events: Pick<EventEmitter<PoolEvents>, 'emit' | 'listenerCount'>,
  ) {
    this.#settings = settings;
    this.#mode = settings.pgbouncer === 'auto' ? undefined : settings.pgbouncer;
    this.#direct = clientConfig;
    this.#pooled = withoutSessionParameters(clientConfig);
    this.#sessionSet = sessionSetSql(settings);
    this.#statements = statements;
    this.#events = events;
    if (this.#mode !== undefined) statements.adapt(this.#mode);
  }

  /** The pool mode of the PgBouncer in front, `false` for none, undefined until known. */
  get mode(): PgBouncerPoolMode | false | undefined {
    return this.#mode;
  }

  /**
   * Opens one connection to `host` (default: the configured one); the first one (with `auto`)
   * finds out what is in front.
   */
  async open(id: number, lifetime: number, host: HostAddress = this.#direct): Promise<PooledConnection> {
    while (this.#mode === undefined) {
      const detecting = this.#detecting;
      if (detecting === undefined) {
        const detection = this.#detect(host, id, lifetime);
        this.#detecting = detection;
        this.#detectingAt = host;
        return await detection.finally(() => {
          this.#detecting = undefined;
        });
      }
      // Another open is finding out; if it fails, so does this one (the caller retries). One at
      // another host tries itself then: a host that is down must not fail a failover's probes.
      if (sameHost(this.#detectingAt, host)) await detecting;
      else await detecting.catch(() => undefined);
    }
    if (!this.#reported) this.#report(this.#mode, false, host);
    return this.#openIn(this.#mode, host, id, lifetime);
  }

  async #openIn(
    mode: PgBouncerPoolMode | false,
    host: HostAddress,
    id: number,
    lifetime: number,
  ): Promise<PooledConnection> {
    const connection = await openConnection(
      at(mode === false ? this.#direct : this.#pooled, host),
      id,
      lifetime,
    );
    if (mode === 'session') await this.#applySessionSettings(connection);
    return connection;
  }

  async #applySessionSettings(connection: PooledConnection): Promise<void> {
    if (this.#sessionSet === undefined) return;
    try {
      await connection.client.query(this.#sessionSet);
    } catch (error) {
      await connection.end(this.#settings.connectTimeout);
      throw error;
    }
  }

  async #detect(host: HostAddress, id: number, lifetime: number): Promise<PooledConnection> {
    let connection: PooledConnection;
    let refused = false;
    try {
      connection = await openConnection(at(this.#direct, host), id, lifetime);
    } catch (error) {
      const mapped = mapConnectError(error);
      const ours =
        mapped instanceof ConnectionRejectedError &&
        mapped.reason === 'unsupported-startup-parameter' &&
        isSessionParameter(mapped.parameter);
      if (!ours) throw error;
      refused = true;
      connection = await openConnection(at(this.#pooled, host), id, lifetime);
    }
    try {
      const pid = await backendPid(connection.client);
      const mode =
        !refused && pid === connection.processId ? false : await this.#poolMode(connection, pid, host);
      this.#statements.adapt(mode);
      this.#mode = mode;
      this.#report(mode, true, host);
      if (connection.broken) {
        // The probe left it waiting for a server connection; open a fresh one instead.
        await connection.end(this.#settings.connectTimeout);
        return await this.#openIn(mode, host, id, lifetime);
      }
      // The startup parameters were refused or dropped; in session mode a SET makes up for them.
      if (mode === 'session') await this.#applySessionSettings(connection);
      return connection;
    } catch (error) {
      await connection.end(this.#settings.connectTimeout);
      throw error;
    }
  }

  /** Session or transaction pooling, told apart with a second client (see the class comment). */
  async #poolMode(first: PooledConnection, firstPid: number, host: HostAddress): Promise<PgBouncerPoolMode> {
    const { connectTimeout } = this.#settings;
    let second: PooledConnection | undefined;
    let again: Promise<number> | undefined;
    try {
      try {
        second = await openConnection(at(this.#pooled, host), 0, 0);
        const secondPid = await within(backendPid(second.client, `BEGIN; ${BACKEND_PID}`), connectTimeout);
        if (secondPid === undefined || secondPid === firstPid) return 'transaction';
      } catch {
        return 'transaction'; // refused (statement mode refuses BEGIN) or could not connect
      }
      again = backendPid(first.client);
      // Waiting here means the first client had no server connection of its own.
      return (await within(again, connectTimeout)) === firstPid ? 'session' : 'transaction';
    } finally {
      await second?.end(connectTimeout); // ends its transaction, which may let `again` through
      if (again !== undefined && (await within(again, connectTimeout)) === undefined) {
        // Still waiting for a server connection: not fit to hand out.
        first.broken = true;
      }
    }
  }

  #report(mode: PgBouncerPoolMode | false, detected: boolean, host: HostAddress): void {
    this.#reported = true;
    const finding: PgBouncerFinding = { mode, detected, message: this.#describe(mode, detected, host) };
    if (detected && mode !== false && this.#events.listenerCount('pgbouncer') === 0) {
      console.info(`strata pool: ${finding.message}`);
    }
    this.#events.emit('pgbouncer', finding);
  }

  #describe(mode: PgBouncerPoolMode | false, detected: boolean, host: HostAddress): string {
    const { preparedStatements } = this.#settings;
    const where = formatHost(host);
    if (mode === false) {
      return detected
        ? `No PgBouncer in front of ${where}: the backend pid matches the connection's cancel key; the pool changes nothing.`
        : `pgbouncer: false: the pool connects to ${where} directly and changes nothing.`;
    }
    const how = detected
      ? `detected (the backend pid differs from the cancel key PgBouncer issued; ${
          mode === 'transaction'
            ? 'a second client did not keep to its own server connection'
            : 'a second client got a server connection of its own'
        })`
      : `configured (pgbouncer: '${mode}')`;
    const settings =
      this.#sessionSet === undefined
        ? undefined
        : this.#sessionSet.replace(/SET /g, '').replace(/ = \d+/g, '');
    const changes: string[] = [];
    if (mode === 'transaction') {
      changes.push(
        preparedStatements === true
          ? 'keeps named prepared statements (preparedStatements: true; needs PgBouncer ≥ 1.21 with max_prepared_statements > 0)'
          : 'runs statements unnamed (no named prepared statements)',
      );
      if (settings !== undefined) {
        changes.push(
          `applies ${settings} with SET LOCAL in every transaction instead of startup parameters (ALTER ROLE … SET costs no round trips)`,
        );
      }
      changes.push('refuses session SET, LISTEN and session advisory locks');
    } else if (settings !== undefined) {
      changes.push(`sends ${settings} with SET after connecting instead of startup parameters`);
    }
    const change = changes.length === 0 ? 'changes nothing' : changes.join('; ');
    return `PgBouncer in ${mode} pooling mode at ${where}, ${how}. The pool ${change}.`;
  }
}

/** `config` aimed at `host` (the failover connector's choice). */
function at(config: DriverConfig, host: HostAddress): pg.ClientConfig {
  return sameHost(config, host) ? config : { ...config, host: host.host, port: host.port };
}
