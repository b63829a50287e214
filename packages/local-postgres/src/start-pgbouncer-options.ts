import { InvalidConfigError } from '@strata/errors';
import { z } from 'zod';

export const poolModes = ['session', 'transaction', 'statement'] as const;
export type PoolMode = (typeof poolModes)[number];

export const pgBouncerProviderNames = ['url', 'binary'] as const;
export type PgBouncerProviderName = (typeof pgBouncerProviderNames)[number];

// Settings startPgBouncer writes itself: changing them would break what it returns.
const OWN_SETTINGS = [
  'listen_addr',
  'listen_port',
  'unix_socket_dir',
  'auth_file',
  'pool_mode',
  'logfile',
  'pidfile',
  'user',
];

function isServerUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return /^postgres(ql)?:$/.test(url.protocol) && url.hostname !== '' && url.username !== '';
  } catch {
    return false;
  }
}

/** Options of `startPgBouncer`; defaults live here and nowhere else. */
export const startPgBouncerOptionsSchema = z.object({
  /** The server PgBouncer forwards to, `postgres://user:password@host:port/database`. */
  upstream: z.string().refine(isServerUrl, 'must be a postgres:// URL with a host and a user'),
  /** When a server connection returns to PgBouncer's pool. */
  poolMode: z.enum(poolModes).default('transaction'),
  /** Extra `[pgbouncer]` settings, e.g. `{ default_pool_size: 5, server_lifetime: 60 }`. */
  settings: z
    .record(
      z.string().regex(/^[a-z_]+$/, 'must be a PgBouncer setting name'),
      z.union([z.string().regex(/^[^\r\n]*$/, 'must be on one line'), z.number(), z.boolean()]),
    )
    .default({}),
  /** Where PgBouncer may come from, in order. */
  providers: z.array(z.enum(pgBouncerProviderNames)).min(1).default(['url', 'binary']),
  /** Environment variables read for a running PgBouncer's URL, first match wins. */
  urlEnvironmentVariables: z.array(z.string().min(1)).default(['STRATA_TEST_PGBOUNCER_URL']),
  /** The pgbouncer program; searched on PATH and in the usual sbin folders when omitted. */
  binary: z.string().min(1).optional(),
  /** Port to listen on (127.0.0.1); a free one when omitted. */
  port: z.number().int().min(1).max(65_535).optional(),
  /** Where the one "PgBouncer chosen" line goes; `false` for silence. */
  log: z
    .union([z.custom<(line: string) => void>((value) => typeof value === 'function'), z.literal(false)])
    .default(() => (line: string) => console.info(line)),
});

export type StartPgBouncerOptions = z.input<typeof startPgBouncerOptionsSchema>;
export type ResolvedStartPgBouncerOptions = z.output<typeof startPgBouncerOptionsSchema>;

export function parseStartPgBouncerOptions(options: StartPgBouncerOptions): ResolvedStartPgBouncerOptions {
  const result = startPgBouncerOptionsSchema.safeParse(options);
  if (!result.success) {
    throw new InvalidConfigError(
      'startPgBouncer',
      result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  const owned = Object.keys(result.data.settings).filter((name) => OWN_SETTINGS.includes(name));
  if (owned.length > 0) {
    throw new InvalidConfigError(
      'startPgBouncer',
      owned.map((name) => ({
        path: `settings.${name}`,
        message:
          name === 'pool_mode'
            ? 'use the poolMode option'
            : 'startPgBouncer sets this itself (use the port option for the port)',
      })),
    );
  }
  return result.data;
}
