import { createHash } from 'node:crypto';
import { LockNotAvailableError, mapDatabaseError } from '@strata/errors';
import { MigratorLockTimeoutError } from './migration-errors.js';
import type { Queryable } from './migration-history.js';
import { traceLock } from './migration-tracing.js';

/** A signed 64-bit advisory lock key, as text (safe to pass as a `bigint` parameter). */
export function advisoryLockKey(purpose: string): string {
  const digest = createHash('sha256').update(`strata-migrate:${purpose}`).digest();
  return BigInt.asIntN(64, digest.readBigUInt64BE(0)).toString();
}

/** Who holds the advisory lock `key` in the current database, when visible. */
async function lockHolder(
  db: Queryable,
  key: string,
): Promise<{ pid: number; applicationName: string; since: string } | undefined> {
  const unsigned = BigInt.asUintN(64, BigInt(key));
  // pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits).
  const { rows } = await db.query(
    `select a.pid, coalesce(a.application_name, '') as application_name, a.backend_start
     from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.granted and l.objsubid = 1
       and l.classid = $1::oid and l.objid = $2::oid
       and l.database = (select oid from pg_database where datname = current_database())
     limit 1`,
    [(unsigned >> 32n).toString(), (unsigned & 0xffffffffn).toString()],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    pid: Number(row.pid),
    applicationName: String(row.application_name),
    since: row.backend_start instanceof Date ? row.backend_start.toISOString() : String(row.backend_start),
  };
}

/**
 * Takes the session-level advisory lock that lets one migrator run at a time across
 * processes and hosts. Waits at most `waitMs` (PostgreSQL's lock_timeout applies to advisory
 * locks), then throws `MigratorLockTimeoutError` naming the holder. The lock is released by
 * `releaseMigratorLock`, or by PostgreSQL when the session ends (a killed migrator included).
 * Traced as the `migrate.lock` span: its duration is the wait.
 */
export function acquireMigratorLock(
  db: Queryable,
  key: string,
  waitMs: number,
  onWait: (holder: { pid: number; applicationName: string } | undefined) => void,
): Promise<void> {
  return traceLock(() => takeMigratorLock(db, key, waitMs, onWait));
}

async function takeMigratorLock(
  db: Queryable,
  key: string,
  waitMs: number,
  onWait: (holder: { pid: number; applicationName: string } | undefined) => void,
): Promise<void> {
  const { rows } = await db.query('select pg_try_advisory_lock($1::bigint) as locked', [key]);
  if (rows[0]?.locked === true) return;
  const holder = await lockHolder(db, key);
  onWait(holder && { pid: holder.pid, applicationName: holder.applicationName });
  if (waitMs <= 0) throw new MigratorLockTimeoutError(0, holder);
  await db.query("select set_config('lock_timeout', $1, false)", [`${waitMs}ms`]);
  try {
    await db.query('select pg_advisory_lock($1::bigint)', [key]);
  } catch (error) {
    const mapped = mapDatabaseError(error);
    if (mapped instanceof LockNotAvailableError) {
      throw new MigratorLockTimeoutError(waitMs, await lockHolder(db, key).catch(() => holder), {
        cause: mapped,
      });
    }
    throw mapped;
  } finally {
    await db.query('reset lock_timeout').catch(() => undefined);
  }
}

/** Releases the lock taken by `acquireMigratorLock` on the same session. */
export async function releaseMigratorLock(db: Queryable, key: string): Promise<void> {
  await db.query('select pg_advisory_unlock($1::bigint)', [key]);
}
