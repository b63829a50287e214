import diagnosticsChannel from 'node:diagnostics_channel';
import net from 'node:net';
import type { NetworkCallInTransactionError } from './transaction-errors.js';

/** How an outbound call was made. */
export type NetworkCallKind = 'fetch' | 'http' | 'net';

/** An outbound call seen while a transaction is open. */
export interface NetworkCall {
  host: string;
  port: number | undefined;
  via: NetworkCallKind;
}

/** What the guard needs from the transaction open in the current async context. */
export interface GuardedTransaction {
  /**
   * Decides about a call: undefined lets it through (allowed host, guard off or `warn`),
   * an error fails it (guard `throw`); the transaction records the violation either way.
   */
  inspectNetworkCall(call: NetworkCall): NetworkCallInTransactionError | undefined;
}

// The parts of undici's internal Request this file touches. Setting `error` makes undici
// abort the request with it before anything is sent (undici 6 and 7).
interface UndiciRequest {
  origin?: unknown;
  error?: unknown;
}

interface ClientRequestLike {
  host?: string;
  protocol?: string;
  getHeader(name: string): unknown;
  destroy(error: Error): void;
}

interface SocketLike {
  destroy(error: Error): void;
}

let currentTransaction: (() => GuardedTransaction | undefined) | undefined;

/**
 * Watches, once per process, every way Node opens an outbound connection:
 * `undici:request:create` (global fetch and undici) and `http.client.request.start`
 * (http/https) on their diagnostics channels, and `net.Socket.prototype.connect`, which
 * net.connect, tls.connect and most other clients end in. A subscriber or the wrapped
 * method runs synchronously in the caller's async context, which is how the call is tied
 * to the transaction open there. Sockets are watched by wrapping `connect` rather than
 * through the `net.client.socket` channel because Node 26 publishes that channel from
 * inside `connect()`, after the target is out of reach; the wrapper sees the target on
 * every Node line.
 */
export function installNetworkGuard(lookup: () => GuardedTransaction | undefined): void {
  if (currentTransaction) return;
  currentTransaction = lookup;
  diagnosticsChannel.subscribe('undici:request:create', onUndiciRequest);
  diagnosticsChannel.subscribe('http.client.request.start', onHttpRequest);
  guardSocketConnect();
}

function onUndiciRequest(message: unknown): void {
  const transaction = currentTransaction?.();
  if (!transaction) return;
  const request = (message as { request: UndiciRequest }).request;
  const origin = safeUrl(String(request.origin));
  if (!origin) return;
  const error = transaction.inspectNetworkCall({
    host: origin.hostname,
    port: Number(origin.port) || (origin.protocol === 'https:' ? 443 : 80),
    via: 'fetch',
  });
  if (error) request.error = error;
}

function onHttpRequest(message: unknown): void {
  const transaction = currentTransaction?.();
  if (!transaction) return;
  const request = (message as { request: ClientRequestLike }).request;
  const host = request.host ?? 'localhost';
  // ClientRequest keeps no port; the Host header carries it unless the caller overrode it.
  const hostHeader = safeUrl(`http://${String(request.getHeader('host') ?? '')}`);
  const port =
    hostHeader && hostHeader.hostname === host
      ? Number(hostHeader.port) || (request.protocol === 'https:' ? 443 : 80)
      : undefined;
  const error = transaction.inspectNetworkCall({ host, port, via: 'http' });
  if (error) request.destroy(error);
}

function guardSocketConnect(): void {
  const connect = net.Socket.prototype.connect as (this: SocketLike, ...args: unknown[]) => unknown;
  // Replaces the method once; the check is one AsyncLocalStorage read per connect, and
  // sockets opened outside a transaction (the pool's own among them) go straight through.
  net.Socket.prototype.connect = function guardedConnect(this: SocketLike, ...args: unknown[]) {
    const transaction = currentTransaction?.();
    if (!transaction) return Reflect.apply(connect, this, args);
    const target = connectTarget(args);
    const error = target ? transaction.inspectNetworkCall({ ...target, via: 'net' }) : undefined;
    if (!error) return Reflect.apply(connect, this, args);
    // Nothing is sent: connect never runs. Destroy on a later turn, because callers
    // (http.Agent, undici) attach their error listeners after net.connect() returns.
    setImmediate(() => this.destroy(error));
    return this;
  } as typeof net.Socket.prototype.connect;
}

function connectTarget(args: unknown[]): { host: string; port: number | undefined } | undefined {
  // net.connect() passes its normalized arguments: [options, callback].
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first && typeof first === 'object') {
    const options = first as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof options.path === 'string' && options.path !== '') return undefined; // IPC, not network
    return {
      host: typeof options.host === 'string' ? options.host : 'localhost',
      port: Number(options.port) || undefined,
    };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: Number(first) };
  }
  return undefined; // A string that is not a port is an IPC path.
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
