import type { PoolMode } from './start-pgbouncer-options.js';

/** What a PgBouncer needs to know about the server behind it. */
export interface UpstreamLogin {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Reads host, port, login and database out of a `postgres://` URL. */
export function parseUpstream(url: string): UpstreamLogin {
  const parsed = new URL(url);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username),
  };
}

const quoteConninfo = (value: string) => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
const iniValue = (value: string | number | boolean) =>
  typeof value === 'boolean' ? (value ? '1' : '0') : String(value);

/**
 * The pgbouncer.ini: every database name is forwarded to the upstream (the `*` fallback), on
 * 127.0.0.1 only, no unix socket (parallel bouncers would fight over /tmp), SCRAM for clients.
 * The upstream's user is in the auth file and is the admin; other roles are looked up on the
 * upstream through `auth_user`, so roles a test creates can log in through PgBouncer too.
 */
export function pgBouncerIni(config: {
  upstream: UpstreamLogin;
  port: number;
  poolMode: PoolMode;
  authFile: string;
  settings: Record<string, string | number | boolean>;
}): string {
  const settings: Record<string, string | number | boolean> = {
    listen_addr: '127.0.0.1',
    listen_port: config.port,
    unix_socket_dir: '',
    auth_type: 'scram-sha-256',
    auth_file: config.authFile,
    auth_user: config.upstream.user,
    admin_users: config.upstream.user,
    stats_users: config.upstream.user,
    pool_mode: config.poolMode,
    max_client_conn: 1000,
    default_pool_size: 20,
    // Drivers such as JDBC send it; PgBouncer would otherwise refuse the connection.
    ignore_startup_parameters: 'extra_float_digits',
    ...config.settings,
  };
  return [
    '[databases]',
    `* = host=${quoteConninfo(config.upstream.host)} port=${config.upstream.port}`,
    '',
    '[pgbouncer]',
    ...Object.entries(settings).map(([name, value]) => `${name} = ${iniValue(value)}`),
    '',
  ].join('\n');
}

/** The auth file: the upstream's user with its password, which PgBouncer also uses upstream. */
export function pgBouncerUserlist(upstream: UpstreamLogin): string {
  const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
  return `${quote(upstream.user)} ${quote(upstream.password)}\n`;
}
