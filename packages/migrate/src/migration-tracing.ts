import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  DB_SYSTEM_NAME_POSTGRESQL,
  describeError,
  InstrumentationTracer,
  openTelemetryApi,
  traceOperation,
  traceStatement,
} from '@strata/telemetry';
import type { MigrationFile } from './migration-file.js';
import type { Queryable } from './migration-history.js';
import type { MigratorEvent } from './migrator-event.js';

/** Span names: a run (`migrate.up`, `migrate.down`), the migrator lock, each migration. */
export const LOCK_SPAN = 'migrate.lock';
export const MIGRATION_SPAN = 'migrate.migration';

const tracer = new InstrumentationTracer('@strata/migrate');
const base: Attributes = { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_POSTGRESQL };

/** Runs `work` in a span when an OpenTelemetry SDK is registered; otherwise just runs it. */
function traced<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  const active = tracer.current();
  if (active === undefined) return work();
  return traceOperation(active, name, { attributes: { ...base, ...attributes } }, async (span) => {
    try {
      return await work();
    } catch (error) {
      // A MigrationFailedError's cause is the database's answer: keep its SQLSTATE.
      const statusCode = describeError((error as { cause?: unknown }).cause).statusCode;
      if (statusCode !== undefined) span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, statusCode);
      throw error;
    }
  });
}

/**
 * The migrator's session with a `CLIENT` span per statement (the migration's SQL, the history
 * and lock queries) while an SDK is registered; those statements bypass the pool's Knex client.
 */
export function traceSession(session: Queryable): Queryable {
  return {
    query(text, values) {
      const active = tracer.current();
      if (active === undefined) return session.query(text, values);
      return traceStatement(active, base, text, () => session.query(text, values));
    },
  };
}

/** The span of `migrator.up()` or `migrator.down()`: the lock, then each migration, are its children. */
export function traceRun<T>(command: 'up' | 'down', work: () => Promise<T>): Promise<T> {
  return traced(`migrate.${command}`, {}, work);
}

/** The span of taking the migrator lock (its duration is the wait); a wait for another migrator is a `migrate.lock_wait` event on it. */
export function traceLock<T>(work: () => Promise<T>): Promise<T> {
  return traced(LOCK_SPAN, {}, work);
}

/**
 * The span of applying (`up`) or rolling back (`down`) one migration: its name, seq, scope,
 * phase and direction; its duration is the span's. Lock-timeout retries and repaired indexes
 * arrive as events (see `recordMigratorEvent`); the attempts it took are added at the end.
 */
export function traceMigration<T extends { attempts: number; transactional?: boolean }>(
  file: MigrationFile,
  direction: 'up' | 'down',
  work: () => Promise<T>,
): Promise<T> {
  const attributes = {
    'strata.migration.name': file.name,
    'strata.migration.seq': file.seq,
    'strata.migration.scope': file.scope,
    'strata.migration.phase': file.phase,
    'strata.migration.direction': direction,
  };
  return traced(MIGRATION_SPAN, attributes, async () => {
    const result = await work();
    const span = openTelemetryApi()?.trace.getActiveSpan();
    span?.setAttribute('strata.migration.attempts', result.attempts);
    if (result.transactional !== undefined)
      span?.setAttribute('strata.migration.transactional', result.transactional);
    return result;
  });
}

/**
 * Adds a migrator event that says what happened inside a span (a lock wait, a lock-timeout
 * retry, a dropped invalid index, a lint warning) to the active span as an event.
 */
export function recordMigratorEvent(event: MigratorEvent): void {
  if (tracer.current() === undefined) return;
  const span = openTelemetryApi()?.trace.getActiveSpan();
  if (span === undefined) return;
  switch (event.type) {
    case 'lock-wait':
      span.addEvent(
        'migrate.lock_wait',
        known({
          'strata.migrate.lock.holder_pid': event.holderPid,
          'strata.migrate.lock.holder_application': event.holderApplication,
        }),
      );
      return;
    case 'lock-blocked':
      // Waiting outside the lock queue: who holds or waits for a conflicting lock (no query text).
      span.addEvent(
        'migrate.lock_blocked',
        known({
          'strata.migrate.waited_ms': event.waitedMs,
          'strata.migrate.blocker_pids': event.blockers
            .flatMap((blocker) => (blocker.pid === null ? [] : [blocker.pid]))
            .join(','),
        }),
      );
      return;
    case 'lock-timeout-retry':
      span.addEvent(
        'migrate.lock_timeout_retry',
        known({
          'strata.migration.attempt': event.attempt,
          'strata.migrate.retry_delay_ms': event.delayMs,
          'strata.migration.line': event.line,
        }),
      );
      return;
    case 'invalid-index-dropped':
      span.addEvent('migrate.invalid_index_dropped', { 'strata.migration.index': event.index });
      return;
    case 'lint-warning':
      span.addEvent('migrate.lint_warning', {
        'strata.migration.file': event.file,
        'strata.migration.line': event.line,
        'strata.migration.rule': event.ruleId,
      });
      return;
    default:
      return;
  }
}

// An attribute whose value is undefined is left out (the SDK would warn about it).
function known(attributes: Record<string, string | number | undefined>): Attributes {
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined));
}
