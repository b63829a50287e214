/** One server of a pool's host list. */
export interface HostAddress {
  readonly host: string;
  readonly port: number;
}

/** libpq's `target_session_attrs`: which of several hosts a pool connects to. */
export const TARGET_SESSION_ATTRS = ['any', 'read-write', 'primary', 'standby', 'prefer-standby'] as const;
export type TargetSessionAttrs = (typeof TARGET_SESSION_ATTRS)[number];

export const DEFAULT_PORT = 5432;

/** A connection URL split into its hosts and the rest. */
export interface ConnectionUrl {
  /** Every host of the URL, in order; a host without a port gets 5432. */
  readonly hosts: readonly HostAddress[];
  /** The same URL with only its first host: what the URL parser and pg-connection-string accept. */
  readonly singleHostUrl: string;
  /** The `target_session_attrs` query parameter, as written. */
  readonly targetSessionAttrs: string | undefined;
}

/** A URL that cannot be read, and why. */
export interface ConnectionUrlProblem {
  readonly problem: string;
}

const URL_PARTS = /^(postgres(?:ql)?:\/\/)([^/?#]*)(.*)$/is;

/**
 * Reads a libpq-style connection URL, several hosts included
 * (`postgres://user:password@a:5432,b:5433/db?target_session_attrs=read-write`), which the
 * WHATWG URL parser and pg-connection-string refuse. IPv6 hosts go in brackets
 * (`[::1]:5432`); a unix socket directory is %-encoded (`%2Fvar%2Frun%2Fpostgresql`).
 */
export function parseConnectionUrl(url: string): ConnectionUrl | ConnectionUrlProblem {
  const match = URL_PARTS.exec(url);
  if (!match) return { problem: 'must be a postgres:// or postgresql:// URL' };
  const [, scheme = '', authority = '', rest = ''] = match;
  const at = authority.lastIndexOf('@');
  const userInfo = at === -1 ? '' : authority.slice(0, at + 1);
  const hostList = authority.slice(at + 1);
  const parts = hostList === '' ? [''] : hostList.split(',');
  const hosts: HostAddress[] = [];
  for (const [index, part] of parts.entries()) {
    const host = part === '' && parts.length > 1 ? { problem: 'has a host without a name' } : parseHost(part);
    if ('problem' in host) {
      const which = parts.length > 1 ? ` (host ${index + 1} of ${parts.length})` : '';
      return { problem: `${host.problem}${which}` };
    }
    hosts.push(host);
  }
  const first = parts[0] ?? '';
  const query = rest.indexOf('?');
  const parameters = new URLSearchParams(query === -1 ? '' : rest.slice(query + 1).split('#')[0]);
  return {
    hosts,
    singleHostUrl: `${scheme}${userInfo}${first}${rest}`,
    targetSessionAttrs: parameters.get('target_session_attrs') ?? undefined,
  };
}

function parseHost(part: string): HostAddress | ConnectionUrlProblem {
  // An empty host list means libpq's default host; the pool's default is localhost.
  if (part === '') return { host: 'localhost', port: DEFAULT_PORT };
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(part);
  let host: string;
  let port: string | undefined;
  if (bracketed) {
    host = bracketed[1] as string;
    port = bracketed[2];
  } else {
    const colon = part.lastIndexOf(':');
    host = colon === -1 ? part : part.slice(0, colon);
    port = colon === -1 ? undefined : part.slice(colon + 1);
  }
  if (host === '') return { problem: 'has a host without a name' };
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return { problem: `has an invalid port "${port}"` };
  const number = port === undefined ? DEFAULT_PORT : Number(port);
  if (number < 1 || number > 65_535) return { problem: `has a port out of range (${number})` };
  try {
    return { host: decodeURIComponent(host), port: number };
  } catch {
    return { problem: 'has a host that is not validly %-encoded' };
  }
}

/** `host:port`, with IPv6 addresses in brackets. */
export function formatHost(address: HostAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** Whether two addresses name the same server. */
export function sameHost(a: HostAddress | undefined, b: HostAddress | undefined): boolean {
  return a !== undefined && b !== undefined && a.host === b.host && a.port === b.port;
}
