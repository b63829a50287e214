/** A host the network guard lets through; without `port`, any port of that host. */
export interface NetworkAddress {
  host: string;
  port?: number | undefined;
}

/** Parses an allowlist entry: `host`, `host:port`, `[v6]` or `[v6]:port`. */
export function parseNetworkAddress(entry: string): NetworkAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed?.[1]) return { host: normalizeHost(bracketed[1]), port: toPort(bracketed[2]) };
  const colons = entry.split(':').length - 1;
  if (colons === 1) {
    const [host = '', port] = entry.split(':');
    return { host: normalizeHost(host), port: toPort(port) };
  }
  // No colon, or a bare IPv6 address.
  return { host: normalizeHost(entry) };
}

/** Lower-cases a host and strips IPv6 brackets, so `LOCALHOST` and `[::1]` compare as written. */
export function normalizeHost(host: string): string {
  return host.replace(/^\[|\]$/g, '').toLowerCase();
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^(::ffff:)?127\./.test(host);
}

/**
 * Whether a call to `host:port` matches an allowed address. `localhost`, `127.x.x.x` and
 * `::1` count as one host, because a database configured as `localhost` may be reached on
 * any of them.
 */
export function matchesAddress(allowed: NetworkAddress, host: string, port: number | undefined): boolean {
  if (allowed.port !== undefined && allowed.port !== port) return false;
  const target = normalizeHost(host);
  return allowed.host === target || (isLoopback(allowed.host) && isLoopback(target));
}

function toPort(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const port = Number(text);
  return Number.isInteger(port) && port > 0 && port < 65_536 ? port : undefined;
}
