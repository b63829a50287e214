import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';

/** A node-postgres client, as far as COPY needs it. */
export interface CopyClient {
  query<T extends ReturnType<typeof copyFrom>>(submittable: T): T;
}

/**
 * Runs `COPY … FROM STDIN` on `client`, streaming `chunks` (COPY data, any split), and resolves
 * with the number of rows PostgreSQL stored. If producing a chunk throws, the COPY is aborted
 * (CopyFail) and nothing is stored.
 */
export async function copyFromStdin(
  client: CopyClient,
  statement: string,
  chunks: Iterable<Buffer | string>,
): Promise<number> {
  const stream = client.query(copyFrom(statement));
  await pipeline(Readable.from(chunks, { objectMode: false }), stream);
  return stream.rowCount;
}
