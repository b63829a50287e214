import { type CopyClient, copyFromStdin } from './copy-from-stdin.js';
import { expandRange } from './preallocate-ids.js';

/** A node-postgres client that runs COPY and plain statements. */
export type SequenceCopyClient = CopyClient & {
  query(text: string, values?: readonly unknown[]): Promise<{ rows: unknown[] }>;
};

export interface SequenceDefaultCopy {
  /** The id's sequence (increment 1), as `pg_get_serial_sequence` names it. */
  sequence: string;
  /** The id column's type, `int2`, `int4` or `int8`, so values parse as the column's would. */
  idType: string;
  /** Rows in the COPY. */
  count: number;
  /** `COPY … FROM STDIN` without the id column. */
  statement: string;
  chunks: Iterable<Buffer>;
}

/**
 * COPY with the id left to its sequence default — the cheapest way, since PostgreSQL takes the
 * values while it writes the rows — and the ids recovered from the sequence around it: in a
 * transaction of its own, `nextval` before and after the COPY. When the two are exactly
 * `count + 1` apart, no other session took a value in between, so the rows got the values in
 * between, in order; the transaction commits and those ids are returned. Otherwise it rolls
 * back and returns undefined, and the caller takes the ids up front instead.
 *
 * Only for a connection the caller holds alone: a rollback must not undo anyone else's work.
 */
export async function copyWithSequenceDefault(
  client: SequenceCopyClient,
  copy: SequenceDefaultCopy,
): Promise<unknown[] | undefined> {
  const nextValue = `select nextval($1::text::regclass)::${copy.idType} as id`;
  await client.query('begin');
  let open = true;
  try {
    const before = (await client.query(nextValue, [copy.sequence])).rows[0] as { id: unknown };
    await copyFromStdin(client, copy.statement, copy.chunks);
    const after = (await client.query(nextValue, [copy.sequence])).rows[0] as { id: unknown };
    const uninterrupted = BigInt(after.id as string) - BigInt(before.id as string) === BigInt(copy.count + 1);
    open = false;
    await client.query(uninterrupted ? 'commit' : 'rollback');
    return uninterrupted ? expandRange(successor(before.id), copy.count) : undefined;
  } catch (error) {
    if (open) await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

function successor(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'bigint') return value + 1n;
  return String(BigInt(value as string) + 1n);
}
