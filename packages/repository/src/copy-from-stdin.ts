import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';

/** A node-postgres client, as far as COPY needs it. */
export interface CopyClient {
  query<T extends ReturnType<typeof copyFrom>>(submittable: T): T;
}

const CHUNK_SIZE = 64 * 1024;

/**
 * Runs `COPY … FROM STDIN` (text format) on `client`, streaming `lines` (each a row without its
 * trailing newline) in 64 KiB chunks, and resolves with the number of rows PostgreSQL stored.
 * If producing a line throws, the COPY is aborted (CopyFail) and nothing is stored.
 */
export async function copyFromStdin(
  client: CopyClient,
  statement: string,
  lines: Iterable<string>,
): Promise<number> {
  const stream = client.query(copyFrom(statement));
  await pipeline(Readable.from(chunked(lines), { objectMode: false }), stream);
  return stream.rowCount;
}

function* chunked(lines: Iterable<string>): Generator<string> {
  let chunk = '';
  for (const line of lines) {
    chunk += `${line}\n`;
    if (chunk.length >= CHUNK_SIZE) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
