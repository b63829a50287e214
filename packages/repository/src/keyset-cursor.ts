import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidCursorError } from './repository-errors.js';

/** The position after the last row of a page: its sort key values, as PostgreSQL prints them. */
export interface KeysetPosition {
  /** Identifies the sort order (fields and directions) the values belong to. */
  order: string;
  /** One value per sort key (the id last); text as PostgreSQL outputs it, or null. */
  values: readonly (string | null)[];
}

const MAX_CURSOR_LENGTH = 4096;
// Without a configured secret, a key made at random when this module loads: cursors still
// cannot be forged, but they are valid only in this process (not after a restart, nor on
// another instance behind the same load balancer).
const PROCESS_KEY = randomBytes(32);

/** Encodes and verifies opaque `list()` cursors for one repository. */
export class KeysetCursorCodec {
  readonly #key: string | Buffer;
  readonly #scope: string;

  /**
   * `scope` ties cursors to one table, so a cursor of one repository is rejected by another.
   * Without `secret`, cursors are signed with a random key of this process.
   */
  constructor(scope: string, secret: string | undefined) {
    this.#scope = scope;
    this.#key = secret ?? PROCESS_KEY;
  }

  encode(position: KeysetPosition): string {
    const body = Buffer.from(JSON.stringify({ o: position.order, k: position.values })).toString('base64url');
    return `${body}.${this.#tag(body)}`;
  }

  /** Decodes a cursor made by `encode` for `expectedOrder`, or throws InvalidCursorError. */
  decode(cursor: unknown, expectedOrder: string): KeysetPosition {
    if (typeof cursor !== 'string' || cursor === '')
      throw new InvalidCursorError('it must be a non-empty string');
    if (cursor.length > MAX_CURSOR_LENGTH) {
      throw new InvalidCursorError(`it is longer than ${MAX_CURSOR_LENGTH} characters`);
    }
    const [body, tag, extra] = cursor.split('.');
    if (!body || !tag || extra !== undefined) throw new InvalidCursorError('it is not in the cursor format');
    const expected = Buffer.from(this.#tag(body));
    const given = Buffer.from(tag);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidCursorError(
        'its signature does not match (it was altered, made by another repository, or signed with another key)',
      );
    }
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidCursorError('it does not decode');
    }
    const { o, k } = (payload ?? {}) as { o?: unknown; k?: unknown };
    if (
      typeof o !== 'string' ||
      !Array.isArray(k) ||
      !k.every((value) => value === null || typeof value === 'string')
    ) {
      throw new InvalidCursorError('its contents are not a position');
    }
    if (o !== expectedOrder) {
      throw new InvalidCursorError(`it was made for orderBy ${o}, but this call orders by ${expectedOrder}`);
    }
    return { order: o, values: k as (string | null)[] };
  }

  #tag(body: string): string {
    return createHmac('sha256', this.#key)
      .update(this.#scope)
      .update('\0')
      .update(body)
      .digest('base64url')
      .slice(0, 22);
  }
}
