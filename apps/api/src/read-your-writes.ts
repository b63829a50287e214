import type { ConsistencySession, Pool } from '@strata/pool';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidWalPositionError } from './app-errors.js';

/**
 * The header that carries a client's last write: every response sets it to the WAL position
 * the client's reads must see (after a write, the primary's position once it committed), and
 * the client sends it back on its next requests. The server keeps nothing per client.
 */
export const WAL_POSITION_HEADER = 'x-wal-position';

const READS = new Set(['GET', 'HEAD']);

/**
 * Read-your-writes per client, with read replicas: each request runs in a consistency session
 * of the pool. GET and HEAD read with `read-your-writes` — from a replica that has replayed the
 * position the client sent (waiting up to the pool's `readYourWritesTimeout`), else from the
 * primary; other methods read and write on the primary. The response carries the position
 * for the client's next request. Without replicas nothing is registered.
 */
export function registerReadYourWrites(app: FastifyInstance, pool: Pool): void {
  if (pool.config.replicas.length === 0) return;
  const sessions = new WeakMap<FastifyRequest, ConsistencySession>();

  // The session is entered around the rest of the request's lifecycle (hooks, handler), the
  // way @fastify/request-context enters its AsyncLocalStorage.
  app.addHook('onRequest', (request, _reply, done) => {
    const header = request.headers[WAL_POSITION_HEADER];
    const position = typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
    let session: ConsistencySession;
    try {
      session = pool.session({
        consistency: READS.has(request.method) ? 'read-your-writes' : 'primary',
        position,
      });
    } catch (error) {
      done(new InvalidWalPositionError({ cause: error }));
      return;
    }
    sessions.set(request, session);
    session.run(() => done());
  });

  app.addHook('onSend', async (request, reply, payload) => {
    // After a write this asks the primary for its position (one round trip); after reads it
    // repeats what the client sent.
    const position = await sessions
      .get(request)
      ?.position()
      .catch(() => undefined);
    if (position !== undefined) reply.header(WAL_POSITION_HEADER, position);
    return payload;
  });
}
