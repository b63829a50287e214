// zod/mini, bundled into the published file (see package.json's build): the pool's import time
// is measured against `pg`'s, and zod's full API costs more to load than pg itself.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { TARGET_SESSION_ATTRS } from './multi-host-url.js';
import type { PoolConfigInput } from './pool-config-input.js';
import type { KnexOptions } from './pool-knex.js';
import { isConnectionUrl, isUrl, topologyIssues } from './topology-config.js';

const DEFAULT_MIN = 5;
const POSTGRES_URL = /^postgres(ql)?:\/\//;

function buildPoolConfigSchema() {
  // Messages zod writes itself ("Too big: expected number to be <=65535") are English.
  z.config(en());

  // Shared by many fields: zod schemas are immutable, and each one built costs start-up time.
  const milliseconds = z
    .int('must be a whole number of milliseconds')
    .check(z.minimum(0, 'must be 0 or more'));
  const positiveMilliseconds = z
    .int('must be a whole number of milliseconds')
    .check(z.positive('must be more than 0'));
  const nonEmpty = z.string().check(z.minLength(1, 'must not be empty'));
  const port = z.int().check(z.minimum(1), z.maximum(65_535));

  const tlsOptions = z.strictObject({
    rejectUnauthorized: z.optional(z.boolean()),
    ca: z.optional(z.string()),
    cert: z.optional(z.string()),
    key: z.optional(z.string()),
    servername: z.optional(z.string()),
  });

  const host = z.union(
    [
      nonEmpty.check(
        z.refine(
          (value) => isConnectionUrl(`postgres://${value}`) && !value.includes(','),
          'must be "host" or "host:port" (IPv6 in brackets: "[::1]:5432")',
        ),
      ),
      z.strictObject({
        host: nonEmpty,
        port: z._default(port, 5432),
      }),
    ],
    'must be "host", "host:port" or { host, port }',
  );

  const replicaUrl = z.string().check(
    z.regex(POSTGRES_URL, 'must be a postgres:// or postgresql:// URL'),
    z.refine(
      (value) => !POSTGRES_URL.test(value) || isUrl(value),
      'must be a valid URL naming one server (check the port and that special characters are %-encoded)',
    ),
  );

  const failoverBackoff = z
    .strictObject({
      baseDelay: z._default(positiveMilliseconds, 100),
      maxDelay: z._default(positiveMilliseconds, 1_000),
    })
    .check(
      z.refine((backoff) => backoff.maxDelay >= backoff.baseDelay, {
        path: ['maxDelay'],
        message: 'must be at least baseDelay',
      }),
    );

  const config = z
    .strictObject(
      {
        connectionString: z.optional(
          z.string().check(
            z.regex(POSTGRES_URL, 'must be a postgres:// or postgresql:// URL'),
            z.refine(
              // Another scheme is the regex's issue; one issue per problem.
              (value) => !POSTGRES_URL.test(value) || isConnectionUrl(value),
              'is not a valid URL (check the host, the port and that special characters are %-encoded)',
            ),
          ),
        ),
        host: z.optional(nonEmpty),
        port: z.optional(port),
        database: z.optional(nonEmpty),
        user: z.optional(nonEmpty),
        password: z.optional(z.string()),
        ssl: z.optional(
          z.union(
            [z.boolean(), tlsOptions],
            'must be true, false or TLS options ({ rejectUnauthorized, ca, cert, key, servername })',
          ),
        ),

        max: z._default(z.int().check(z.minimum(1, 'must be at least 1')), 25),
        min: z.optional(z.int().check(z.minimum(0, 'must be 0 or more'))),
        maxLifetime: z._default(milliseconds, 30 * 60_000),
        maxLifetimeJitter: z._default(z.number().check(z.minimum(0), z.maximum(1)), 0.1),
        idleTimeout: z._default(milliseconds, 5 * 60_000),
        healthCheckPeriod: z._default(positiveMilliseconds, 30_000),
        pingAfterIdle: z._default(milliseconds, 1_000),
        acquireTimeout: z._default(positiveMilliseconds, 10_000),
        connectTimeout: z._default(positiveMilliseconds, 5_000),
        readyTimeout: z._default(milliseconds, 30_000),
        leakDetectionThreshold: z._default(milliseconds, 60_000),

        applicationName: z._default(
          nonEmpty.check(z.maxLength(63, 'must be at most 63 characters')),
          'strata',
        ),
        statementTimeout: z.optional(milliseconds),
        lockTimeout: z.optional(milliseconds),
        idleInTransactionSessionTimeout: z.optional(milliseconds),

        hosts: z.optional(z.array(host).check(z.minLength(1, 'must list at least one host'))),
        targetSessionAttrs: z.optional(
          z.enum(TARGET_SESSION_ATTRS, `must be one of ${TARGET_SESSION_ATTRS.join(', ')}`),
        ),
        replicas: z._default(z.array(replicaUrl), () => []),
        maxReplicaLag: z._default(milliseconds, 1_000),
        readYourWritesTimeout: z._default(milliseconds, 100),
        topologyCheckPeriod: z._default(positiveMilliseconds, 1_000),
        failoverBackoff: z._default(failoverBackoff, () => ({ baseDelay: 100, maxDelay: 1_000 })),

        preparedStatements: z.optional(z.boolean()),
        telemetry: z._default(z.boolean(), true),
        poolName: z.optional(nonEmpty.check(z.maxLength(200, 'must be at most 200 characters'))),
        pgbouncer: z._default(
          z.union(
            [z.enum(['auto', 'transaction', 'session']), z.literal(false)],
            "must be 'auto', 'transaction', 'session' or false",
          ),
          'auto',
        ),
        knex: z.optional(
          z.custom<KnexOptions>((value) => typeof value === 'object' && value !== null, 'must be an object'),
        ),
      },
      // Only for a config that is not an object: unknown keys keep their own issue.
      { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object' : undefined) },
    )
    .check(
      z.superRefine((config, context) => {
        if (!config.connectionString && !config.host) {
          context.addIssue({
            code: 'custom',
            path: ['connectionString'],
            message: 'is required (or set host, or the DATABASE_URL environment variable)',
          });
        }
        if (config.min !== undefined && config.min > config.max) {
          context.addIssue({ code: 'custom', path: ['min'], message: `must not exceed max (${config.max})` });
        }
        for (const issue of topologyIssues(config)) context.addIssue({ code: 'custom', ...issue });
      }),
    );
  return z.pipe(
    config,
    z.transform((parsed) => ({ ...parsed, min: parsed.min ?? Math.min(DEFAULT_MIN, parsed.max) })),
  );
}

type PoolConfigSchema = ReturnType<typeof buildPoolConfigSchema>;

/** The configuration after validation, every default applied. */
export type ParsedPoolConfig = z.output<PoolConfigSchema>;

let schema: PoolConfigSchema | undefined;

/**
 * The pool's configuration schema: every default lives here. Built on first use, not at
 * import, because building it is most of what zod costs.
 */
export function poolConfigSchema(): PoolConfigSchema {
  schema ??= buildPoolConfigSchema();
  return schema;
}

// The public PoolConfigInput is written out (so the published types need no zod); this fails
// to compile when it and the schema's input drift apart.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const inputMatchesSchema: Equals<z.input<PoolConfigSchema>, PoolConfigInput> = true;
void inputMatchesSchema;
