import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProblemAnswer } from './error-to-problem.js';
import { PROBLEM_CONTENT_TYPE, problemDocument } from './problem-reply.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/** What the answers here log through. */
export interface FramingLogger {
  debug(object: object, message: string): void;
}

// Node's HTTP parser errors (llhttp's HPE_* codes) and timeouts, as problems.
function answerFor(code: string | undefined): ProblemAnswer {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      slug: 'headers-too-large',
      detail: 'The request line and headers are larger than the server reads (16 KiB).',
      serverFault: false,
    };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      slug: 'request-timeout',
      detail: 'The request did not arrive completely in time.',
      serverFault: false,
    };
  }
  return {
    slug: 'bad-request',
    detail: 'The request is not a valid HTTP/1.1 message (its request line, headers or framing).',
    serverFault: false,
  };
}

/**
 * The server's `clientError` handler: a request Node's HTTP parser rejects (bad framing,
 * headers over the size limit, a request timeout) gets a problem document written on the
 * socket, with a fresh request id, and the connection is closed. Nothing of the request is
 * echoed. Nothing is written when the socket is gone or a response on it is under way.
 */
export function answerClientError(
  logger: FramingLogger,
  error: Error & { code?: string },
  socket: Duplex,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const requestId = randomUUID();
  logger.debug({ code: error.code, requestId }, 'malformed HTTP request rejected');
  // A response of an earlier request on this connection still being written: adding one
  // would corrupt it (Node's own default makes the same check).
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (inFlight?.headersSent !== true) writeProblem(socket, answerFor(error.code), requestId);
  socket.destroy();
}

/**
 * The server's `connect` handler: the API is no proxy, so a CONNECT request gets the 404
 * problem of any method and path it does not serve (Node's default closes the socket without
 * an answer).
 */
export function answerConnect(_request: IncomingMessage, socket: Duplex): void {
  writeProblem(
    socket,
    {
      slug: 'not-found',
      detail: 'There is no route for this method and path; the routes are listed at /docs.',
      serverFault: false,
    },
    randomUUID(),
  );
  socket.destroy();
}

// A whole HTTP/1.1 response written straight on the socket, for errors that happen before
// (or instead of) Node creating a response object.
function writeProblem(socket: Duplex, answer: ProblemAnswer, requestId: string): void {
  if (!socket.writable) return;
  const problem = problemDocument(answer, requestId);
  const body = JSON.stringify(problem);
  socket.write(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
      `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `${REQUEST_ID_HEADER}: ${requestId}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/**
 * The server's `checkExpectation` handler: an `Expect` header other than `100-continue` gets a
 * 417 problem (Node's default is an empty 417).
 */
export function answerUnmetExpectation(_request: IncomingMessage, response: ServerResponse): void {
  const requestId = randomUUID();
  const body = JSON.stringify(
    problemDocument(
      {
        slug: 'expectation-failed',
        detail: 'The only Expect header the API meets is Expect: 100-continue.',
        serverFault: false,
      },
      requestId,
    ),
  );
  response.writeHead(417, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    [REQUEST_ID_HEADER]: requestId,
    connection: 'close',
  });
  response.end(body);
}
