import net from 'node:net';

/** A response read off a raw socket: status, lower-cased headers, body as text. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The bytes as received, for failure messages. */
  raw: string;
  /** Whether the body is all there (as long as its Content-Length says). */
  complete: boolean;
}

/**
 * Writes `request` (bytes as given, no framing added) to the API's socket and reads until the
 * server closes it, or `timeoutMs` passes. Returns the first response on the connection, or
 * undefined when nothing came back. For requests fetch() cannot send: bad framing, oversized
 * headers, missing Host.
 */
export function sendRaw(
  baseUrl: string,
  request: string | Buffer,
  timeoutMs = 5_000,
): Promise<RawResponse | undefined> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(request);
    });
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A whole response with a Content-Length is the answer: no need to wait for the close
      // of a connection the server keeps alive.
      if (parseResponse(Buffer.concat(chunks).toString('latin1'))?.complete) socket.destroy();
    });
    // A server that closes while data is still arriving may reset the connection: what came
    // before the reset is still the answer.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks).toString('latin1')));
    });
  });
}

function parseResponse(raw: string): RawResponse | undefined {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const [statusLine = '', ...headerLines] = raw.slice(0, headEnd).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(headEnd + 4);
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const complete = length !== undefined && body.length >= length;
  if (length !== undefined) body = body.slice(0, length);
  return { status, headers, body: Buffer.from(body, 'latin1').toString('utf8'), raw, complete };
}
