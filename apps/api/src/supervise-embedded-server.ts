import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalPostgresServer, ServerExit } from '@strata/local-postgres';
import type { AppLogger } from './create-logger.js';

/** Backoff between restart attempts: the first runs at once, then 100 ms doubling to 5 s. */
export interface RestartBackoff {
  firstDelayMs: number;
  maxDelayMs: number;
}

const DEFAULT_BACKOFF: RestartBackoff = { firstDelayMs: 100, maxDelayMs: 5_000 };

/** A supervision under way. */
export interface Supervision {
  /**
   * Ends it: no restart begins from now on. Resolves once an attempt under way has ended;
   * stop the server meanwhile, so that an attempt still starting it is cut short.
   */
  stop(): Promise<void>;
}

function describeExit(exit: ServerExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
}

/**
 * Keeps the embedded PostgreSQL running: when the postmaster exits without being asked to
 * (`kill -9`, a crash, the OOM killer), it is started again on the same port and data, so the
 * pool reconnects to the same URL and nothing else has to restart. Attempts back off while
 * the server refuses to come up. Each attempt logs one line: `info` once it is back, `warn`
 * when it failed (with the server's reason) and when the next one comes.
 */
export function superviseEmbeddedServer(
  server: Pick<LocalPostgresServer, 'onExit' | 'start' | 'pid'>,
  logger: Pick<AppLogger, 'info' | 'warn'>,
  backoff: RestartBackoff = DEFAULT_BACKOFF,
): Supervision {
  const stopping = new AbortController();
  let restarting: Promise<void> | undefined;

  const restart = async (exit: ServerExit): Promise<void> => {
    const exitedAt = performance.now();
    let delay = backoff.firstDelayMs;
    for (let attempt = 1; !stopping.signal.aborted; attempt++) {
      try {
        await server.start();
        if (stopping.signal.aborted) return;
        const downMs = Math.round(performance.now() - exitedAt);
        logger.info(
          { exit: describeExit(exit), attempt, downMs, pid: server.pid() },
          `the embedded PostgreSQL exited unexpectedly (${describeExit(exit)}); restarted it in ${downMs} ms`,
        );
        return;
      } catch (error) {
        if (stopping.signal.aborted) return;
        logger.warn(
          { err: error, exit: describeExit(exit), attempt, nextAttemptInMs: delay },
          `the embedded PostgreSQL exited unexpectedly (${describeExit(exit)}); restart attempt ${attempt} failed, trying again in ${delay} ms`,
        );
      }
      await sleep(delay, undefined, { signal: stopping.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, backoff.maxDelayMs);
    }
  };

  const unsubscribe = server.onExit((exit) => {
    if (exit.requested || stopping.signal.aborted || restarting) return;
    restarting = restart(exit).finally(() => {
      restarting = undefined;
    });
  });

  return {
    async stop() {
      unsubscribe();
      stopping.abort();
      await restarting;
    },
  };
}
