import { setTimeout as sleep } from 'node:timers/promises';
import type { OrderResponse } from '../order-schemas.js';

/** One POST /orders a writer sent: when, and what came back (`network-error`: no response). */
export interface SentOrder {
  writer: number;
  startedAt: number;
  endedAt: number;
  status: number | 'network-error';
  retryAfter: string | null;
  /** The problem's type for an error answer, e.g. `/problems/database-unavailable`. */
  problem?: string | undefined;
  /** The order as the API acknowledged it (201 only). */
  order?: OrderResponse;
}

/**
 * Concurrent clients placing orders of 1 to 5 items for one user over real HTTP, each
 * sending the next as soon as the last was answered (100 ms later after a failure, as a
 * client honouring a short back-off would), until `stop()`.
 */
export class OrderWriters {
  readonly sent: SentOrder[] = [];
  #stopped = false;
  readonly #loops: Promise<void>[];

  constructor(baseUrl: string, userId: string, writers: number) {
    let next = 0;
    this.#loops = Array.from({ length: writers }, async (_, writer) => {
      while (!this.#stopped) {
        const n = next++;
        const items = Array.from({ length: 1 + (n % 5) }, (_, item) => ({
          productId: String(n * 10 + item + 1),
          qty: item + 1,
        }));
        const startedAt = performance.now();
        const outcome = await fetch(`${baseUrl}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId, items }),
        }).then(
          async (response) => {
            const body = (await response.json()) as OrderResponse | { type: string };
            return {
              status: response.status,
              retryAfter: response.headers.get('retry-after'),
              ...(response.status === 201
                ? { order: body as OrderResponse }
                : { problem: (body as { type: string }).type }),
            };
          },
          () => ({ status: 'network-error' as const, retryAfter: null }),
        );
        this.sent.push({ writer, startedAt, endedAt: performance.now(), ...outcome });
        if (outcome.status !== 201) await sleep(100);
      }
    });
  }

  /** The orders the API acknowledged (201), with the items it said it stored. */
  get acknowledged(): OrderResponse[] {
    return this.sent.flatMap((sent) => sent.order ?? []);
  }

  /** How many answers of each status (and problem), e.g. `{ "201": 812, "503 database-unavailable": 40 }`. */
  histogram(from = 0): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { status, problem } of this.sent.slice(from)) {
      const key = problem ? `${status} ${problem.replace('/problems/', '')}` : String(status);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** Resolves once every writer has had a 201 answered after `since`; returns when the last did. */
  async allServedAfter(since: number): Promise<number> {
    const served = new Map<number, number>();
    for (let next = 0; ; await sleep(10)) {
      for (; next < this.sent.length; next++) {
        const sent = this.sent[next] as SentOrder;
        if (sent.status === 201 && sent.endedAt > since && !served.has(sent.writer))
          served.set(sent.writer, sent.endedAt);
      }
      if (served.size === this.#loops.length) return Math.max(...served.values());
    }
  }

  /** Stops every writer after its current request. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
  }
}
