import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header a request id arrives in (from a proxy or a caller) and is echoed back in. */
export const REQUEST_ID_HEADER = 'x-request-id';

// Ids from outside end up in log lines: only short, plain ones are taken over.
const ACCEPTED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a request: the caller's `X-Request-Id` when it is a short plain token (so a trace
 * can cross services), otherwise a fresh UUID. Every log line of the request carries it.
 */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTED_ID.test(given) ? given : randomUUID();
}
