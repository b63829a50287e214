import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Problem } from './common-schemas.js';
import type { OrderResponse } from './order-schemas.js';
import {
  forgedCursors,
  junkBodies,
  malformedHttp,
  naughtyStrings,
  percentEncode,
  seededRandom,
} from './test-support/fuzz-inputs.js';
import { sendRaw } from './test-support/raw-http.js';
import { startTestServer, type TestServer } from './test-support/test-server.js';
import type { UserResponse } from './user-schemas.js';

// The short profile runs with `pnpm test` (a few thousand requests); STRATA_FUZZ=long sends
// every naughty string to every slot, and each again with a NUL and a lone surrogate spliced in.
// STRATA_FUZZ_SEED replays another seed.
const LONG = process.env.STRATA_FUZZ === 'long';
const SEED = Number(process.env.STRATA_FUZZ_SEED ?? 20_260_101);
const SLOTS_PER_STRING = LONG ? Number.POSITIVE_INFINITY : 3;
const CONCURRENCY = 4;
const CURSOR_SECRET = 'fuzz-cursor-secret-of-enough-length';

// What must never reach a client: stack frames and SQL.
const STACK_FRAME = /\bat .*\.(?:js|ts|mjs|cjs):\d+/;
const SQL = /\b(?:select|insert\s+into|update\s+\S+\s+set|delete\s+from)\b/i;

let api: TestServer;
const statuses = new Map<string, number>();
const rawStatuses = new Map<string, number>();
const failures: string[] = [];
let requests = 0;
let roundTrips = 0;

const count = (histogram: Map<string, number>, key: string) =>
  histogram.set(key, (histogram.get(key) ?? 0) + 1);
const describeInput = (value: unknown) => JSON.stringify(value)?.slice(0, 120);

interface Sent {
  status: number;
  body: unknown;
  headers: Headers;
}

/**
 * One request over real HTTP, checked: never a 5xx; every error a problem document whose
 * request id matches the header, with no stack frame or SQL. A request fetch() itself refuses
 * to send (a header value that is not a byte string) is counted, not sent.
 */
async function send(
  label: string,
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Sent | undefined> {
  let response: Response;
  try {
    response = await fetch(`${api.url}${path}`, { method, headers: options.headers, body: options.body });
  } catch (error) {
    // fetch() refuses some inputs itself: a header value that is no byte string, a forbidden method.
    const cause = (error as { cause?: { code?: unknown } }).cause;
    if (
      error instanceof TypeError &&
      (!/fetch failed/.test(error.message) || cause?.code === 'UND_ERR_INVALID_ARG')
    ) {
      count(statuses, 'not sent (fetch refused the input)');
      return undefined;
    }
    failures.push(`${label}: no answer (${(error as Error).cause ?? error})`);
    return undefined;
  }
  requests++;
  const text = await response.text();
  count(statuses, String(response.status));
  if (response.status >= 500) failures.push(`${label}: ${response.status} ${text.slice(0, 300)}`);
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status >= 400) {
    const problem = body as Problem | undefined;
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.startsWith('application/problem+json')) {
      failures.push(`${label}: ${response.status} as ${contentType || 'no content type'}`);
    } else if (method !== 'HEAD') {
      if (
        problem?.status !== response.status ||
        !problem.type.startsWith('/problems/') ||
        problem.requestId !== response.headers.get('x-request-id')
      ) {
        failures.push(`${label}: ${response.status} is not a well-formed problem: ${text.slice(0, 300)}`);
      }
      if (STACK_FRAME.test(text) || SQL.test(text))
        failures.push(`${label}: leaks internals: ${text.slice(0, 300)}`);
    }
  }
  return { status: response.status, body, headers: response.headers };
}

const json = (value: unknown) => ({
  body: JSON.stringify(value),
  headers: { 'content-type': 'application/json' },
});

let serial = 0;
const uniqueEmail = () => `fuzz${++serial}@example.com`;

/** Fails unless the user stored and read back has exactly the text that was sent (as the API normalises it). */
async function expectUserRoundTrip(label: string, created: Sent, sent: { email?: unknown; name?: unknown }) {
  const user = created.body as UserResponse;
  const read = await send(`${label} (read back)`, 'GET', `/users/${user.id}`);
  const stored = read?.body as UserResponse | undefined;
  roundTrips++;
  for (const [field, value] of Object.entries(sent)) {
    if (typeof value !== 'string') continue;
    const expected = field === 'email' ? value.trim().toLowerCase() : value.trim();
    const returned = (user as unknown as Record<string, string>)[field] ?? '';
    const reread = (stored as unknown as Record<string, string> | undefined)?.[field] ?? '';
    if (
      !Buffer.from(returned).equals(Buffer.from(expected)) ||
      !Buffer.from(reread).equals(Buffer.from(expected))
    ) {
      failures.push(
        `${label}: ${field} changed on the way: sent ${describeInput(value)}, got ${describeInput(reread)}`,
      );
    }
  }
}

async function createUser(label: string, body: Record<string, unknown>): Promise<void> {
  const created = await send(label, 'POST', '/users', json(body));
  if (created?.status === 201) await expectUserRoundTrip(label, created, body);
}

/** A user of the fuzz's own, at version 1. */
async function freshUser(): Promise<UserResponse> {
  const created = await send('fresh user', 'POST', '/users', json({ email: uniqueEmail(), name: 'Fresh' }));
  return created?.body as UserResponse;
}

async function patchUser(label: string, changes: Record<string, unknown>, ifMatch = '"1"'): Promise<void> {
  const user = await freshUser();
  const patched = await send(label, 'PATCH', `/users/${user.id}`, {
    ...json(changes),
    headers: { 'content-type': 'application/json', 'if-match': ifMatch },
  });
  if (patched?.status === 200) await expectUserRoundTrip(label, patched, changes);
}

async function placeOrder(label: string, body: unknown): Promise<void> {
  const placed = await send(label, 'POST', '/orders', json(body));
  if (placed?.status !== 201) return;
  const order = placed.body as OrderResponse;
  const read = await send(`${label} (read back)`, 'GET', `/orders/${order.id}`);
  roundTrips++;
  if (JSON.stringify(read?.body) !== JSON.stringify(order))
    failures.push(`${label}: order read back differs`);
}

let owner: UserResponse;

/** Every route and field a string can go into. */
const SLOTS: Record<string, (text: string) => Promise<unknown>> = {
  'POST /users email': (text) => createUser('email', { email: text, name: 'Fuzz' }),
  'POST /users unknown key': (text) => createUser('key', { email: uniqueEmail(), name: 'Key', [text]: 1 }),
  'PATCH /users/:id name': (text) => patchUser('patch name', { name: text }),
  'PATCH /users/:id email': (text) => patchUser('patch email', { email: text }),
  'PATCH /users/:id If-Match': (text) => patchUser('if-match', { name: 'Matched' }, text),
  'GET /users?email': (text) => send('?email', 'GET', `/users?email=${percentEncode(text)}`),
  'GET /users?limit': (text) => send('?limit', 'GET', `/users?limit=${percentEncode(text)}`),
  'GET /users?sort': (text) => send('?sort', 'GET', `/users?sort=${percentEncode(text)}`),
  'GET /users?after': (text) => send('?after', 'GET', `/users?after=${percentEncode(text)}`),
  'GET /users?<name>': (text) => send('?name', 'GET', `/users?${percentEncode(text)}=1`),
  'GET /users/:id': (text) => send('GET user', 'GET', `/users/${percentEncode(text)}`),
  'DELETE /users/:id': (text) => send('DELETE user', 'DELETE', `/users/${percentEncode(text)}`),
  'GET /users/:id/orders': (text) => send('user orders', 'GET', `/users/${percentEncode(text)}/orders`),
  'GET /users/:id/orders?after': (text) =>
    send('orders ?after', 'GET', `/users/${owner.id}/orders?after=${percentEncode(text)}`),
  'GET /orders/:id': (text) => send('GET order', 'GET', `/orders/${percentEncode(text)}`),
  'GET /problems/:slug': (text) => send('problem', 'GET', `/problems/${percentEncode(text)}`),
  'POST /orders userId': (text) =>
    placeOrder('userId', { userId: text, items: [{ productId: '1', qty: 1 }] }),
  'POST /orders productId': (text) =>
    placeOrder('productId', { userId: owner.id, items: [{ productId: text, qty: 1 }] }),
  'X-Request-Id': (text) =>
    send('x-request-id', 'GET', '/health/live', { headers: { 'x-request-id': text } }),
};

/** Runs `tasks` a few at a time. */
async function runAll(tasks: readonly (() => Promise<unknown>)[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++] as () => Promise<unknown>;
      await task();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

beforeAll(async () => {
  api = await startTestServer('api_fuzz', { cursorSecret: CURSOR_SECRET });
  owner = await freshUser();
  for (const productId of ['1', '2', '3']) {
    await placeOrder('owner order', { userId: owner.id, items: [{ productId, qty: 1 }] });
  }
});

beforeEach(() => {
  failures.length = 0;
});

afterAll(async () => {
  await api?.close();
  const sorted = (histogram: Map<string, number>) =>
    Object.fromEntries([...histogram].sort(([a], [b]) => a.localeCompare(b)));
  console.info(
    `fuzz (${LONG ? 'long' : 'short'} profile, seed ${SEED}): ${requests} HTTP requests, ${roundTrips} round trips checked\n` +
      `  HTTP status histogram: ${JSON.stringify(sorted(statuses))}\n` +
      `  raw-socket status histogram: ${JSON.stringify(sorted(rawStatuses))}`,
  );
});

describe('fuzz: no 5xx, every error a problem, every accepted write read back exactly', () => {
  test('naughty strings into every route and field', { timeout: LONG ? 1_800_000 : 180_000 }, async () => {
    const random = seededRandom(SEED);
    const slots = Object.entries(SLOTS);
    let strings = naughtyStrings();
    if (LONG)
      strings = [
        ...strings,
        ...strings.flatMap((text) => [`${text}\u0000`, `\ud800${text}`, text.repeat(40)]),
      ];
    const tasks: (() => Promise<unknown>)[] = [];
    strings.forEach((text, index) => {
      // The name is the free text a user stores: every string goes there and is read back.
      tasks.push(() => createUser('name', { email: uniqueEmail(), name: text }));
      const picked =
        SLOTS_PER_STRING >= slots.length
          ? slots
          : Array.from(
              { length: SLOTS_PER_STRING },
              (_, offset) => slots[(index * SLOTS_PER_STRING + offset) % slots.length],
            );
      for (const slot of picked) {
        const [name, fill] = slot as [string, (text: string) => Promise<unknown>];
        tasks.push(() =>
          fill(text).catch((error: unknown) => failures.push(`${name} ${describeInput(text)}: ${error}`)),
        );
      }
    });
    // Shuffled (seeded), so concurrent requests mix routes as real traffic does.
    for (let index = tasks.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [tasks[index], tasks[other]] = [
        tasks[other] as () => Promise<unknown>,
        tasks[index] as () => Promise<unknown>,
      ];
    }
    await runAll(tasks);
    expect(failures).toEqual([]);
  });

  test('structural junk bodies on every route that takes one', { timeout: 120_000 }, async () => {
    const user = await freshUser();
    const routes: [string, string, Record<string, unknown>, Record<string, string>][] = [
      ['POST', '/users', { email: 'junk@example.com', name: 'Junk' }, {}],
      ['PATCH', `/users/${user.id}`, { name: 'Junk' }, { 'if-match': '"1"' }],
      ['POST', '/orders', { userId: owner.id, items: [{ productId: '9', qty: 1 }] }, {}],
    ];
    for (const [method, path, valid, extra] of routes) {
      for (const junk of junkBodies(valid)) {
        await send(`${method} ${path} ${junk.label}`, method, path, {
          body: junk.body,
          headers: { ...junk.headers, ...extra },
        });
      }
    }
    // Duplicate keys: JSON's last one wins, and is what is stored.
    const duplicate = `{"email":"${uniqueEmail()}","name":"First","name":"Second"}`;
    const created = await send('duplicate keys', 'POST', '/users', {
      body: duplicate,
      headers: { 'content-type': 'application/json' },
    });
    expect(created?.status).toBe(201);
    await expectUserRoundTrip('duplicate keys', created as Sent, { name: 'Second' });
    // Every method on every route, with no body.
    for (const path of [
      '/users',
      `/users/${owner.id}`,
      `/users/${owner.id}/orders`,
      '/orders',
      '/orders/1',
      '/health/live',
      '/health/ready',
      '/metrics',
      '/problems/not-found',
      '/nowhere',
    ]) {
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'FROB']) {
        await send(`${method} ${path} without body`, method, path);
      }
    }
    expect(failures).toEqual([]);
  });

  test('forged, random and mangled cursors are 400s, never 500s', { timeout: 120_000 }, async () => {
    const random = seededRandom(SEED + 1);
    for (let index = 0; index < 3; index++) await freshUser();
    const lists: [string, string, string, number][] = [
      ['/users?limit=1', 'users', 'id asc', 1],
      ['/users?limit=1&sort=-id', 'users', 'id desc', 1],
      ['/users?limit=1&sort=createdAt', 'users', 'created_at asc, id asc', 2],
      ['/users?limit=1&sort=-createdAt', 'users', 'created_at desc, id desc', 2],
      [`/users/${owner.id}/orders?limit=1`, 'orders', 'id desc', 1],
    ];
    for (const [path, table, order, keyCount] of lists) {
      const first = await send(`${path} first page`, 'GET', path);
      const real = (first?.body as { nextCursor?: string } | undefined)?.nextCursor ?? '';
      expect(real).toEqual(expect.any(String));
      for (const forged of forgedCursors(random, CURSOR_SECRET, table, order, keyCount, real)) {
        const label = `${path} cursor ${forged.label}`;
        const response = await send(label, 'GET', `${path}&after=${percentEncode(forged.cursor)}`);
        if (forged.valid && response?.status !== 200) failures.push(`${label}: ${response?.status}, not 200`);
        if (!forged.valid && response?.status !== 400)
          failures.push(`${label}: ${response?.status}, not 400`);
        const slug = (response?.body as Problem | undefined)?.type;
        if (forged.signed && !forged.valid && slug !== '/problems/invalid-cursor') {
          failures.push(`${label}: ${slug}, not invalid-cursor`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  test('malformed HTTP over a raw socket is answered with a problem', { timeout: 120_000 }, async () => {
    for (const { label, request } of malformedHttp(seededRandom(SEED + 2))) {
      const response = await sendRaw(api.url, request);
      if (!response) {
        count(rawStatuses, 'no answer');
        failures.push(`raw ${label}: no answer`);
        continue;
      }
      count(rawStatuses, String(response.status));
      if (response.status >= 500) failures.push(`raw ${label}: ${response.status}`);
      if (response.status >= 400) {
        const isProblem = (response.headers['content-type'] ?? '').startsWith('application/problem+json');
        let problem: Problem | undefined;
        try {
          problem = JSON.parse(response.body) as Problem;
        } catch {
          problem = undefined;
        }
        if (
          !isProblem ||
          problem?.status !== response.status ||
          problem.requestId !== response.headers['x-request-id']
        ) {
          failures.push(`raw ${label}: not a problem: ${response.raw.slice(0, 200)}`);
        }
        if (/uuuuuuuu|hhhhhhhh|xxxxxxxx|99999999/.test(response.body))
          failures.push(`raw ${label}: echoes the input`);
      }
    }
    expect(failures).toEqual([]);
  });
});
