import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `check` until it answers true; throws `timeoutError()` once `timeoutMs` has passed.
 * Errors thrown by `check` count as "not yet" (a server still starting refuses connections).
 */
export async function waitUntil(
  check: () => Promise<boolean>,
  {
    timeoutMs,
    intervalMs = 100,
    timeoutError,
  }: { timeoutMs: number; intervalMs?: number; timeoutError: () => Error },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw timeoutError();
    await delay(intervalMs);
  }
}
