import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { PinoPretty } from 'pino-pretty';

/** What the API logs through: pino's logger, so Fastify can use it for its request logs. */
export type AppLogger = Logger;

/** Options of `createLogger`. */
export interface CreateLoggerOptions {
  level: LoggerOptions['level'];
  /** Where lines go; stdout by default. */
  destination?: DestinationStream | undefined;
  /**
   * Texts that must never appear in a line (e.g. the database password), replaced by `***`
   * in the finished line. The caller may add to the set later: it is read at every write.
   */
  secrets?: ReadonlySet<string> | undefined;
  /**
   * Human-readable, coloured lines (pino-pretty) instead of JSON: for a person at a terminal.
   * Ignored when `destination` is given.
   */
  pretty?: boolean | undefined;
}

// Request headers that carry credentials never reach a log line.
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

/**
 * Errors are logged by name, code, message and stack. Strata's messages carry neither SQL
 * text nor bound values, and `cause` is left out: a driver's raw error may carry both.
 */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: error.message,
    stack: error.stack,
  };
}

// Shorter texts are too likely to be ordinary words; connection strings are redacted anyway.
const MIN_SECRET_LENGTH = 6;

function withoutSecrets(line: string, secrets: ReadonlySet<string>): string {
  let safe = line;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH && safe.includes(secret)) safe = safe.split(secret).join('***');
  }
  return safe;
}

/**
 * The API's structured logger: JSON lines with `time`, `level`, `msg` and, inside a request,
 * `requestId` (or the same, formatted for a person, with `pretty`). Connection strings are logged only through `redactConnectionString`; on top
 * of that, every finished line is scrubbed of the `secrets` (the database password), so not
 * even an unexpected error message can leak it.
 */
export function createLogger(options: CreateLoggerOptions): AppLogger {
  const secrets = options.secrets;
  const loggerOptions: LoggerOptions = {
    level: options.level,
    base: { service: 'strata-api' },
    redact: { paths: REDACTED_PATHS, censor: '***' },
    serializers: { err: serializeError, error: serializeError },
    ...(secrets ? { hooks: { streamWrite: (line: string) => withoutSecrets(line, secrets) } } : {}),
  };
  if (options.destination) return pino(loggerOptions, options.destination);
  if (options.pretty) {
    // Synchronous, in this thread: the secrets hook has already run on each line it formats.
    const pretty = PinoPretty({
      colorize: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
    });
    return pino(loggerOptions, pretty);
  }
  return pino(loggerOptions);
}
