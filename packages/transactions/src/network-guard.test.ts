import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import type { Pool } from '@strata/pool';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import { NetworkCallInTransactionError } from './transaction-errors.js';
import { defaultNetworkGuard } from './transaction-options.js';
import { withTransaction } from './with-transaction.js';

let db: TestDatabase;
let pool: Pool;
let server: http.Server;
let port: number;
let requests: string[];

beforeAll(async () => {
  db = await createTestDatabase('guard');
  pool = db.pool();
  await pool.query('CREATE TABLE orders (id serial PRIMARY KEY)');
  server = http.createServer((request, response) => {
    requests.push(request.url ?? '');
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await db?.drop();
});
beforeEach(async () => {
  requests = [];
  await pool.query('TRUNCATE orders');
});

const orderCount = async () =>
  (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows[0]?.n;

describe('network guard', () => {
  test('is on by default under test (and development), off otherwise', () => {
    expect(process.env.NODE_ENV).toBe('test');
    expect(defaultNetworkGuard()).toBe('throw');
  });

  test('a fetch inside a transaction fails, nothing is sent, and the transaction rolls back naming the host and where it was opened', async () => {
    const outcome = withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO orders DEFAULT VALUES');
      await fetch(`http://127.0.0.1:${port}/charge`);
    });
    const error = (await outcome.catch((e: unknown) => e)) as NetworkCallInTransactionError;
    expect(error).toBeInstanceOf(NetworkCallInTransactionError);
    expect(error.host).toBe('127.0.0.1');
    expect(error.port).toBe(port);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain('afterCommit');
    expect(error.transactionSite).toContain('network-guard.test.ts');
    expect(error.message).toContain(error.transactionSite);
    expect(requests).toEqual([]);
    expect(await orderCount()).toBe(0);
  });

  test('catching the failed call does not save the transaction', async () => {
    const outcome = withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO orders DEFAULT VALUES');
      const caught = await fetch(`http://127.0.0.1:${port}/charge`).catch((e: unknown) => e);
      expect((caught as Error).cause).toBeInstanceOf(NetworkCallInTransactionError);
      return 'carried on';
    });
    await expect(outcome).rejects.toBeInstanceOf(NetworkCallInTransactionError);
    expect(await orderCount()).toBe(0);
  });

  test('the same fetch in afterCommit is allowed and runs after the commit', async () => {
    let countSeenByHook: number | undefined;
    await withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO orders DEFAULT VALUES');
      tx.afterCommit(async () => {
        countSeenByHook = await orderCount();
        const response = await fetch(`http://127.0.0.1:${port}/charge`);
        expect(await response.text()).toBe('ok');
      });
    });
    expect(requests).toEqual(['/charge']);
    expect(countSeenByHook).toBe(1);
  });

  test('http.request and raw sockets are caught too; a savepoint is still inside the transaction', async () => {
    const viaHttp = withTransaction(
      pool,
      () =>
        new Promise((resolve, reject) => {
          http.get(`http://localhost:${port}/http`, resolve).on('error', reject);
        }),
    );
    await expect(viaHttp).rejects.toMatchObject({
      code: 'NETWORK_CALL_IN_TRANSACTION',
      via: expect.stringMatching(/http|net/),
    });

    const viaSocket = withTransaction(pool, (tx) =>
      tx.withTransaction(
        () =>
          new Promise((resolve, reject) => {
            const socket = net.connect(port, '127.0.0.1', () => resolve(socket.end()));
            socket.on('error', reject);
          }),
      ),
    );
    await expect(viaSocket).rejects.toMatchObject({ code: 'NETWORK_CALL_IN_TRANSACTION', via: 'net' });
    expect(requests).toEqual([]);
  });

  test('raw tls.connect is caught before the handshake starts', async () => {
    const viaTls = withTransaction(
      pool,
      () =>
        new Promise((resolve, reject) => {
          const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () =>
            resolve(socket.end()),
          );
          socket.on('error', reject);
        }),
    );
    await expect(viaTls).rejects.toMatchObject({ code: 'NETWORK_CALL_IN_TRANSACTION', via: 'net', port });
    expect(requests).toEqual([]);
  });

  test('a socket opened outside any transaction is left alone', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end('GET /outside HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toContain('200 OK');
    expect(requests).toEqual(['/outside']);
  });

  test('sockets to the database server itself are allowed', async () => {
    const { host, port: databasePort } = pool.config;
    await withTransaction(
      pool,
      () =>
        new Promise<void>((resolve, reject) => {
          const socket = net.connect(databasePort, host, () => {
            socket.destroy();
            resolve();
          });
          socket.on('error', reject);
        }),
    );
  });

  test('allowNetworkHosts lets named hosts through; networkGuard off disables it; warn reports without failing', async () => {
    await withTransaction(pool, () => fetch(`http://127.0.0.1:${port}/allowed`).then((r) => r.text()), {
      allowNetworkHosts: [`127.0.0.1:${port}`],
    });
    await withTransaction(pool, () => fetch(`http://127.0.0.1:${port}/off`).then((r) => r.text()), {
      networkGuard: 'off',
    });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await withTransaction(pool, () => fetch(`http://127.0.0.1:${port}/warned`).then((r) => r.text()), {
        networkGuard: 'warn',
      });
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(requests).toEqual(['/allowed', '/off', '/warned']);
    expect(warnings.some((w) => w instanceof NetworkCallInTransactionError)).toBe(true);
  });

  test('code that outlives the transaction (a detached promise) is no longer inside it', async () => {
    let later: Promise<unknown> | undefined;
    await withTransaction(pool, async () => {
      later = new Promise((resolve) => setTimeout(resolve, 20)).then(() =>
        fetch(`http://127.0.0.1:${port}/later`).then((r) => r.text()),
      );
    });
    await expect(later).resolves.toBe('ok');
  });
});
