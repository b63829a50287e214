import { InvalidConfigError } from '@strata/errors';
import { z } from 'zod';

export const providerNames = ['url', 'docker', 'embedded'] as const;
export type ProviderName = (typeof providerNames)[number];

/** Options of `startPostgres`; defaults live here and nowhere else. */
export const startPostgresOptionsSchema = z.object({
  /** Which providers to try, in order. */
  providers: z.array(z.enum(providerNames)).min(1).default(['url', 'docker', 'embedded']),
  /** Environment variables read for an explicit URL, first match wins. */
  urlEnvironmentVariables: z.array(z.string().min(1)).default(['STRATA_TEST_DATABASE_URL', 'DATABASE_URL']),
  /** Keep the data directory across stops (the sample API's mode). Requires `dataDir`. */
  persistent: z.boolean().default(false),
  /** Where the embedded server keeps its data; a fresh temporary folder when omitted. */
  dataDir: z.string().min(1).optional(),
  /**
   * Turn off fsync, synchronous_commit and full_page_writes. Safe only for data you can lose:
   * on by default for throwaway servers, off for persistent ones.
   */
  fastUnsafe: z.boolean().optional(),
  /** Extra server settings (`-c name=value`), e.g. `{ max_connections: 300 }`. */
  settings: z
    .record(
      z.string().regex(/^[a-z_.]+$/, 'must be a PostgreSQL setting name'),
      z.union([z.string(), z.number(), z.boolean()]),
    )
    .default({}),
  /**
   * Streaming replicas of the primary to start beside it (embedded provider only; the url and
   * docker steps are passed over when this is above 0).
   */
  replicas: z.number().int().min(0).max(8).default(0),
  /** Port for the embedded server; a free one when omitted. */
  port: z.number().int().min(1).max(65_535).optional(),
  /** How long the Docker engine probe may take, in ms. */
  dockerProbeTimeoutMs: z.number().int().positive().default(750),
  /** The Testcontainers image. */
  dockerImage: z.string().min(1).default('postgres:16-alpine'),
  /** Where the one "provider chosen" line goes; `false` for silence. */
  log: z
    .union([z.custom<(line: string) => void>((value) => typeof value === 'function'), z.literal(false)])
    .default(() => (line: string) => console.info(line)),
});

export type StartPostgresOptions = z.input<typeof startPostgresOptionsSchema>;
export type ResolvedStartPostgresOptions = z.output<typeof startPostgresOptionsSchema>;

export function parseStartPostgresOptions(options: StartPostgresOptions = {}): ResolvedStartPostgresOptions {
  const result = startPostgresOptionsSchema.safeParse(options);
  if (!result.success) {
    throw new InvalidConfigError(
      'startPostgres',
      result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    );
  }
  if (result.data.persistent && !result.data.dataDir) {
    throw new InvalidConfigError('startPostgres', [
      { path: 'dataDir', message: 'persistent mode needs a dataDir to keep the data in' },
    ]);
  }
  if (result.data.persistent && result.data.replicas > 0) {
    throw new InvalidConfigError('startPostgres', [
      {
        path: 'replicas',
        message: 'replicas are throwaway copies; they cannot be combined with persistent mode',
      },
    ]);
  }
  return result.data;
}
