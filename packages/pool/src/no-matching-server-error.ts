import { ConnectionError } from '@strata/errors';

/**
 * No server of the pool's host list matched `target_session_attrs` (e.g. none accepted
 * read-write sessions) while the caller waited, up to `acquireTimeout`: a failover is under
 * way or every host is down. The pool keeps looking, with backoff; retry later.
 */
export class NoMatchingServerError extends ConnectionError {
  /** The hosts looked at, as `host:port`. */
  readonly hosts: readonly string[];
  readonly targetSessionAttrs: string;

  constructor(
    hosts: readonly string[],
    targetSessionAttrs: string,
    waitedMs: number,
    lastError: string | undefined,
  ) {
    super(
      `No server accepting ${targetSessionAttrs} sessions (target_session_attrs) among ${hosts.join(', ')} ` +
        `was found within ${waitedMs} ms (acquireTimeout)${lastError ? `. Last error: ${lastError}` : ''}. ` +
        'A failover may be under way; the pool keeps looking, with backoff. Retry shortly.',
      { reason: 'NO_MATCHING_SERVER' },
    );
    this.hosts = hosts;
    this.targetSessionAttrs = targetSessionAttrs;
  }
}
