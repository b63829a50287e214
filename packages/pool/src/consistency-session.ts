import { AsyncLocalStorage } from 'node:async_hooks';
import { InvalidConfigError } from '@strata/errors';

/**
 * Where a read may go. `primary`: always the primary. `replica`: a replica no further behind
 * than `maxReplicaLag`, else the primary. `read-your-writes`: a replica that has replayed the
 * session's last write (waiting up to `readYourWritesTimeout` for one), else the primary.
 */
export type ReadConsistency = 'primary' | 'replica' | 'read-your-writes';

export const READ_CONSISTENCIES: readonly ReadConsistency[] = ['primary', 'replica', 'read-your-writes'];

/** Options of `pool.session()`. */
export interface ConsistencySessionOptions {
  /** The consistency of reads that do not choose one themselves; default `read-your-writes`. */
  consistency?: ReadConsistency;
  /**
   * A WAL position (`16/B374D848`) the session's reads must see, e.g. what `position()` of an
   * earlier session of the same client returned. Reads in `read-your-writes` then go only to
   * replicas that have replayed it.
   */
  position?: string | undefined;
}

const WAL_POSITION = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

/** A WAL position (pg_lsn text, `16/B374D848`) as a number, or undefined when it is not one. */
export function parseWalPosition(text: string): bigint | undefined {
  const match = WAL_POSITION.exec(text.trim());
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** A WAL position in pg_lsn's text form. */
export function formatWalPosition(position: bigint): string {
  return `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffffffffn).toString(16).toUpperCase()}`;
}

/**
 * A unit of work whose reads share one consistency guarantee — typically one HTTP request of
 * one client. It remembers whether it wrote (through the primary) since the primary's WAL
 * position was last taken, and takes it only when a read-your-writes read or `position()`
 * needs it: one round trip per write that is followed by such a read, none otherwise.
 */
export class ConsistencySession {
  readonly consistency: ReadConsistency;
  readonly #owner: object;
  readonly #capture: () => Promise<bigint | undefined>;
  #position: bigint | undefined;
  /** Writes so far, and how many of them the position taken last covers. */
  #writes = 0;
  #covered = 0;
  #capturing: Promise<void> | undefined;

  constructor(
    owner: object,
    capture: () => Promise<bigint | undefined>,
    options: ConsistencySessionOptions = {},
  ) {
    const consistency = options.consistency ?? 'read-your-writes';
    const position = options.position === undefined ? undefined : parseWalPosition(options.position);
    const issues = [
      ...(READ_CONSISTENCIES.includes(consistency)
        ? []
        : [{ path: 'consistency', message: `must be one of ${READ_CONSISTENCIES.join(', ')}` }]),
      ...(options.position !== undefined && position === undefined
        ? [{ path: 'position', message: 'must be a WAL position such as 16/B374D848' }]
        : []),
    ];
    if (issues.length > 0) throw new InvalidConfigError('consistency session', issues);
    this.#owner = owner;
    this.#capture = capture;
    this.consistency = consistency;
    this.#position = position;
  }

  /** Runs `fn` (and everything it awaits) in this session: its reads follow the session's consistency. */
  run<T>(fn: () => T): T {
    return storage.run({ owner: this.#owner, session: this, outer: storage.getStore() }, fn);
  }

  /** Something in the session used the primary, and may have written: the next position is taken anew. */
  markWrite(): void {
    this.#writes += 1;
  }

  /**
   * The WAL position reads of this session must see: the primary's insert position after its
   * last write (asked once per write), else the position it was given, else undefined. Hand it
   * to the client so its next request can start a session with it.
   */
  async position(): Promise<string | undefined> {
    const position = await this.requiredPosition();
    return position === undefined ? undefined : formatWalPosition(position);
  }

  /** `position()` as a number, for routing. */
  async requiredPosition(): Promise<bigint | undefined> {
    // Only a position taken after the writes that finished before this call covers them: a
    // capture already under way may have started before the last of them.
    const writes = this.#writes;
    while (this.#covered < writes) {
      this.#capturing ??= this.#captureNow();
      await this.#capturing;
    }
    return this.#position;
  }

  async #captureNow(): Promise<void> {
    const covers = this.#writes;
    try {
      const captured = await this.#capture();
      if (captured !== undefined && (this.#position === undefined || captured > this.#position)) {
        this.#position = captured;
      }
      this.#covered = Math.max(this.#covered, covers);
    } finally {
      this.#capturing = undefined;
    }
  }
}

interface SessionFrame {
  readonly owner: object;
  readonly session: ConsistencySession;
  readonly outer: SessionFrame | undefined;
}

// Frames form a chain so that sessions of two pools nest without hiding each other.
const storage = new AsyncLocalStorage<SessionFrame>();

/** The session of `owner` (a pool) active in the current async context, if any. */
export function activeSession(owner: object): ConsistencySession | undefined {
  for (let frame = storage.getStore(); frame !== undefined; frame = frame.outer) {
    if (frame.owner === owner) return frame.session;
  }
  return undefined;
}
