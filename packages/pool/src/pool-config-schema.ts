// Valibot, bundled into the published file (see package.json's build), not zod as elsewhere in
// Strata: the pool's start-up is measured against `pg`'s, and zod (even zod/mini, bundled)
// cost about 4 ms to import and 9 ms to build and first run this schema on Node 26, where
// valibot costs about 1.5 ms and 1.5 ms (`pnpm bench pool.import`).
import * as v from 'valibot';
import { TARGET_SESSION_ATTRS } from './multi-host-url.js';
import type { KnexOptions } from './pool-knex.js';
import { isConnectionUrl, isUrl, targetSessionAttrsProblem } from './topology-config.js';

const DEFAULT_MIN = 5;
const POSTGRES_URL = /^postgres(ql)?:\/\//;
const UNKNOWN_FIELD = 'is not a pool setting (check its spelling)';

function buildPoolConfigSchema() {
  // Shared by many fields: schemas are immutable.
  const milliseconds = v.pipe(
    v.number(),
    v.integer('must be a whole number of milliseconds'),
    v.minValue(0, 'must be 0 or more'),
  );
  const positiveMilliseconds = v.pipe(
    v.number(),
    v.integer('must be a whole number of milliseconds'),
    v.minValue(1, 'must be more than 0'),
  );
  const nonEmpty = v.pipe(v.string(), v.minLength(1, 'must not be empty'));
  const port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65_535));

  const tlsOptions = v.strictObject({
    rejectUnauthorized: v.optional(v.boolean()),
    ca: v.optional(v.string()),
    cert: v.optional(v.string()),
    key: v.optional(v.string()),
    servername: v.optional(v.string()),
  });

  const host = v.union(
    [
      v.pipe(
        nonEmpty,
        v.check(
          (value) => isConnectionUrl(`postgres://${value}`) && !value.includes(','),
          'must be "host" or "host:port" (IPv6 in brackets: "[::1]:5432")',
        ),
      ),
      v.strictObject({ host: nonEmpty, port: v.optional(port, 5432) }),
    ],
    'must be "host", "host:port" or { host, port }',
  );

  const replicaUrl = v.pipe(
    v.string(),
    v.regex(POSTGRES_URL, 'must be a postgres:// or postgresql:// URL'),
    v.check(
      (value) => !POSTGRES_URL.test(value) || isUrl(value),
      'must be a valid URL naming one server (check the port and that special characters are %-encoded)',
    ),
  );

  // What each field means: PoolConfigInput.
  return v.strictObject({
    connectionString: v.optional(
      v.pipe(
        v.string(),
        v.regex(POSTGRES_URL, 'must be a postgres:// or postgresql:// URL'),
        v.check(
          // Another scheme is the regex's problem; one problem per field.
          (value) => !POSTGRES_URL.test(value) || isConnectionUrl(value),
          'is not a valid URL (check the host, the port and that special characters are %-encoded)',
        ),
        v.rawCheck(({ dataset, addIssue }) => {
          const problem = dataset.typed ? targetSessionAttrsProblem(dataset.value) : undefined;
          if (problem) addIssue({ message: problem });
        }),
      ),
    ),
    host: v.optional(nonEmpty),
    port: v.optional(port),
    database: v.optional(nonEmpty),
    user: v.optional(nonEmpty),
    password: v.optional(v.string()),
    ssl: v.optional(
      v.union(
        [v.boolean(), tlsOptions],
        'must be true, false or TLS options ({ rejectUnauthorized, ca, cert, key, servername })',
      ),
    ),

    max: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, 'must be at least 1')), 25),
    // Its default depends on max: see parsePoolConfig.
    min: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0, 'must be 0 or more'))),
    maxLifetime: v.optional(milliseconds, 30 * 60_000),
    maxLifetimeJitter: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), 0.1),
    idleTimeout: v.optional(milliseconds, 5 * 60_000),
    healthCheckPeriod: v.optional(positiveMilliseconds, 30_000),
    pingAfterIdle: v.optional(milliseconds, 1_000),
    acquireTimeout: v.optional(positiveMilliseconds, 10_000),
    connectTimeout: v.optional(positiveMilliseconds, 5_000),
    readyTimeout: v.optional(milliseconds, 30_000),
    leakDetectionThreshold: v.optional(milliseconds, 60_000),

    applicationName: v.optional(v.pipe(nonEmpty, v.maxLength(63, 'must be at most 63 characters')), 'strata'),
    statementTimeout: v.optional(milliseconds),
    lockTimeout: v.optional(milliseconds),
    idleInTransactionSessionTimeout: v.optional(milliseconds),

    hosts: v.optional(v.pipe(v.array(host), v.minLength(1, 'must list at least one host'))),
    targetSessionAttrs: v.optional(
      v.picklist(TARGET_SESSION_ATTRS, `must be one of ${TARGET_SESSION_ATTRS.join(', ')}`),
    ),
    replicas: v.optional(v.array(replicaUrl), () => []),
    maxReplicaLag: v.optional(milliseconds, 1_000),
    readYourWritesTimeout: v.optional(milliseconds, 100),
    topologyCheckPeriod: v.optional(positiveMilliseconds, 1_000),
    failoverBackoff: v.optional(
      v.strictObject({
        baseDelay: v.optional(positiveMilliseconds, 100),
        maxDelay: v.optional(positiveMilliseconds, 1_000),
      }),
      () => ({ baseDelay: 100, maxDelay: 1_000 }),
    ),

    preparedStatements: v.optional(v.boolean()),
    telemetry: v.optional(v.boolean(), true),
    poolName: v.optional(v.pipe(nonEmpty, v.maxLength(200, 'must be at most 200 characters'))),
    pgbouncer: v.optional(
      v.union(
        [v.picklist(['auto', 'transaction', 'session']), v.literal(false)],
        "must be 'auto', 'transaction', 'session' or false",
      ),
      'auto',
    ),
    knex: v.optional(
      v.custom<KnexOptions>((value) => typeof value === 'object' && value !== null, 'must be an object'),
    ),
  });
}

type PoolConfigSchema = ReturnType<typeof buildPoolConfigSchema>;

/** The configuration after validation, every default applied. */
export type ParsedPoolConfig = v.InferOutput<PoolConfigSchema> & { min: number };

/** One problem with the configuration: the field's path and what is wrong with it. */
export interface PoolConfigProblem {
  path: string[];
  message: string;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  Object: 'an object',
  Array: 'a list',
};

/**
 * A message for the issues the schema leaves to the library, written here because the library's
 * own ("Expected number but received "s3cret"") quote the value, and the value may be a secret.
 */
function describeIssue(issue: v.BaseIssue<unknown>): string {
  if (issue.type === 'strict_object' && issue.expected === 'never') return UNKNOWN_FIELD;
  if (issue.type === 'integer') return 'must be a whole number';
  if (issue.type === 'min_value') return `must be at least ${issue.requirement}`;
  if (issue.type === 'max_value') return `must be at most ${issue.requirement}`;
  if (issue.kind === 'schema' && issue.expected !== null) {
    return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
  }
  return 'is not valid';
}

/** Rules between fields, checked once every field is valid on its own. */
function crossFieldProblems(config: v.InferOutput<PoolConfigSchema>): PoolConfigProblem[] {
  const problems: PoolConfigProblem[] = [];
  if (!config.connectionString && !config.host) {
    problems.push({
      path: ['connectionString'],
      message: 'is required (or set host, or the DATABASE_URL environment variable)',
    });
  }
  if (config.min !== undefined && config.min > config.max) {
    problems.push({ path: ['min'], message: `must not exceed max (${config.max})` });
  }
  if (config.failoverBackoff.maxDelay < config.failoverBackoff.baseDelay) {
    problems.push({ path: ['failoverBackoff', 'maxDelay'], message: 'must be at least baseDelay' });
  }
  return problems;
}

let schema: PoolConfigSchema | undefined;

/**
 * Validates `input` against the pool's configuration schema, where every default lives, and
 * the rules between fields. Returns the parsed configuration, or every problem found. The
 * schema is built on the first call, not at import.
 */
export function parsePoolConfig(
  input: Readonly<Record<string, unknown>>,
): { config: ParsedPoolConfig; problems?: undefined } | { problems: PoolConfigProblem[] } {
  schema ??= buildPoolConfigSchema();
  const fields = schema.entries;
  // The library names the first unknown field of an object; every one is named here.
  const problems: PoolConfigProblem[] = Object.keys(input)
    .filter((key) => !Object.hasOwn(fields, key))
    .map((key) => ({ path: [key], message: UNKNOWN_FIELD }));
  const known = Object.fromEntries(Object.entries(input).filter(([key]) => Object.hasOwn(fields, key)));
  const result = v.safeParse(schema, known, { message: describeIssue });
  if (!result.success) {
    for (const issue of result.issues) {
      problems.push({ path: (issue.path ?? []).map((item) => String(item.key)), message: issue.message });
    }
    return { problems };
  }
  problems.push(...crossFieldProblems(result.output));
  if (problems.length > 0) return { problems };
  const config = result.output;
  return { config: { ...config, min: config.min ?? Math.min(DEFAULT_MIN, config.max) } };
}

/** What the schema accepts; `PoolConfigInput`, written out for the published types, must equal it. */
export type PoolConfigSchemaInput = v.InferInput<PoolConfigSchema>;
