import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, testServerUrl } from '@strata/local-postgres/test-database';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OrderResponse } from './order-schemas.js';
import { ApiProcess, assertBuildIsFresh, parseLogLine } from './test-support/api-process.js';
import { http } from './test-support/http.js';
import { type CollectedSpan, OtlpCollector } from './test-support/otlp-collector.js';
import type { UserResponse } from './user-schemas.js';

/** pnpm as this test run was started with it (`npm_execpath`), else the one on PATH. */
function pnpmCommand(): string[] {
  const execPath = process.env.npm_execpath ?? '';
  return /pnpm\.(c?js|mjs)$/.test(execPath) ? [process.execPath, execPath] : ['pnpm'];
}

let directory: string;

beforeAll(async () => {
  assertBuildIsFresh();
  directory = await mkdtemp(path.join(os.tmpdir(), 'strata-api-main-'));
  // As root, PostgreSQL runs as the "postgres" user, which must be able to enter the folder.
  await chmod(directory, 0o755);
});

afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('pnpm start (dist/main.js) with embedded PostgreSQL', () => {
  test('data survives a restart; SIGTERM drains HTTP, closes the pool and stops PostgreSQL cleanly', async () => {
    const dataDir = path.join(directory, 'postgres');
    const environment = { PORT: '0', STRATA_API_DATA_DIR: dataDir, LOG_LEVEL: 'info' };

    const first = new ApiProcess(environment);
    const firstUrl = await first.listening();
    expect(firstUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await first.waitForMessage(/^applied 3 migration\(s\)$/);
    const created = await http(firstUrl, 'POST', '/users', {
      json: { email: 'keep@example.com', name: 'Keep' },
    });
    expect(created.status).toBe(201);
    const user = created.body as UserResponse;
    const placed = await http(firstUrl, 'POST', '/orders', {
      json: { userId: user.id, items: [{ productId: '9', qty: 3 }] },
    });
    expect(placed.status).toBe(201);

    expect(await first.stop('SIGTERM'), first.lines.join('\n')).toBe(0);
    const shutdown = first.lines
      .map((line) => parseLogLine(line)?.msg)
      .filter((msg) => typeof msg === 'string');
    expect(shutdown.slice(-5), first.lines.join('\n')).toEqual([
      'shutdown requested',
      'shutting down: draining HTTP requests',
      'closing the database pool',
      'stopping the embedded PostgreSQL',
      'stopped',
    ]);
    // A clean shutdown removes postmaster.pid and says so in the server log.
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
    expect(await readFile(path.join(directory, 'postgres.log'), 'utf8')).toMatch(
      /database system is shut down/,
    );

    const second = new ApiProcess(environment);
    const secondUrl = await second.listening();
    await second.waitForMessage(/^migrations up to date$/);
    expect((await http(secondUrl, 'GET', `/users/${user.id}`)).body).toEqual(user);
    const orders = await http(secondUrl, 'GET', `/users/${user.id}/orders`);
    expect((orders.body as { items: OrderResponse[] }).items).toEqual([placed.body]);

    // A request under way when SIGTERM arrives is finished, not cut.
    const body = JSON.stringify({ email: 'late@example.com', name: 'Late' });
    const { port } = new URL(secondUrl);
    const pending = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/users',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-request-id': 'drain-check',
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      // The rest is sent once the server is draining (below).
      second
        .waitForMessage(/^shutting down: draining HTTP requests$/)
        .then(() => req.end(body.slice(10)), reject);
    });
    await second.waitForMessage(/^incoming request$/, 'drain-check');
    second.child.kill('SIGTERM');
    const late = await pending;
    expect(late.status, `${late.text}\n${second.lines.join('\n')}`).toBe(201);
    expect(await second.exited, second.lines.join('\n')).toBe(0);
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);

    // The password the embedded server was set up with never reached a log line.
    const credentials = JSON.parse(
      await readFile(path.join(dataDir, 'strata-local-postgres.json'), 'utf8'),
    ) as {
      password: string;
    };
    expect(credentials.password.length).toBeGreaterThan(10);
    const output = [...first.lines, ...second.lines];
    expect(output.filter((line) => line.includes(credentials.password))).toEqual([]);
    expect(output.some((line) => line.includes('postgres://postgres:***@127.0.0.1:'))).toBe(true);
  }, 180_000);
});

describe('pnpm start signalled at its outermost process only', () => {
  test('SIGTERM to pnpm alone (which exits without passing it on) still stops the API and its embedded PostgreSQL', async () => {
    const dataDir = path.join(directory, 'launcher');
    const api = new ApiProcess({ PORT: '0', STRATA_API_DATA_DIR: dataDir, LOG_LEVEL: 'info' }, [
      ...pnpmCommand(),
      'start',
    ]);
    await api.listening();
    api.child.kill('SIGTERM');
    await api.exited;
    // pnpm is gone; the API notices, shuts down cleanly and closes the output pipes it shares.
    await api.outputClosed;
    const stop = api.lines.map(parseLogLine).find((line) => line?.msg === 'shutdown requested');
    // pnpm takes its script's shell with it; whichever is seen gone first is named.
    expect(stop?.launcher, api.lines.join('\n')).toMatch(
      /pnpm|sh -c node --enable-source-maps dist\/main\.js/,
    );
    expect(api.lines.map((line) => parseLogLine(line)?.msg)).toContain('stopped');
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
  }, 120_000);
});

describe('pnpm start with a bad configuration', () => {
  test('a wrong DATABASE_URL password: exits 1 saying why, without the password', async () => {
    const url = new URL(testServerUrl());
    const realPassword = decodeURIComponent(url.password);
    url.password = 'Wrong-Secret-Value-42';
    const api = new ApiProcess({ DATABASE_URL: url.toString(), PORT: '0' });
    expect(await api.exited).toBe(1);
    const fatal = api.lines.map(parseLogLine).find((line) => line?.level === 60);
    expect(fatal).toMatchObject({ msg: 'the API could not start', err: { message: expect.any(String) } });
    const output = api.lines.join('\n');
    expect(output).toMatch(/password authentication failed/);
    expect(output).not.toContain('Wrong-Secret-Value-42');
    expect(output).not.toContain(realPassword);
  }, 60_000);

  test('invalid variables: exits 1 naming each of them, and never their values', async () => {
    const api = new ApiProcess({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://u:Secret-Value-7@db/x',
    });
    expect(await api.exited).toBe(1);
    const output = api.lines.join('\n');
    expect(output).toMatch(/Invalid API configuration/);
    expect(output).toMatch(/PORT \(port\): must be a port number/);
    expect(output).toMatch(/LOG_LEVEL \(logLevel\)/);
    expect(output).toMatch(/DATABASE_URL \(databaseUrl\): must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(output).not.toContain('Secret-Value-7');
  }, 60_000);
});

describe('pnpm start with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  test('exports the trace of POST /orders: the HTTP span, its transaction, the statements; and pool metrics', async () => {
    const collector = await OtlpCollector.start();
    const database = await createTestDatabase({ prefix: 'api_otel' });
    try {
      const api = new ApiProcess({
        PORT: '0',
        LOG_LEVEL: 'info',
        DATABASE_URL: database.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_METRIC_EXPORT_INTERVAL: '200',
      });
      const url = await api.listening();
      const created = await http(url, 'POST', '/users', { json: { email: 'traced@example.com', name: 'T' } });
      const user = created.body as UserResponse;
      const placed = await http(url, 'POST', '/orders', {
        json: { userId: user.id, items: [{ productId: '7', qty: 2 }] },
      });
      expect(placed.status, placed.text).toBe(201);
      // Metrics are exported periodically while the pool is open (a closed pool reports none).
      for (
        let waited = 0;
        !collector.metricNames.has('db.client.connection.count') && waited < 10_000;
        waited += 50
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // SIGTERM shuts the SDK down, which exports what it still holds.
      expect(await api.stop('SIGTERM'), api.lines.join('\n')).toBe(0);

      expect([...collector.serviceNames]).toEqual(['strata-api']);
      const one = (spans: CollectedSpan[], name: string) => {
        const found = spans.filter((span) => span.name === name);
        expect(
          found.map((span) => span.name),
          collector.spans.map((span) => span.name).join(', '),
        ).toEqual([name]);
        return found[0] as CollectedSpan;
      };
      const request = one(collector.spans, 'POST /orders');
      expect(request.kind).toBe(2); // SERVER
      expect(request.attributes['http.route']).toBe('/orders');
      const transaction = one(collector.childrenOf(request), 'transaction');
      expect(transaction.attributes).toMatchObject({
        'db.system.name': 'postgresql',
        'db.namespace': database.name,
        'strata.transaction.attempts': 1,
        'strata.transaction.outcome': 'committed',
      });
      const attempt = one(collector.childrenOf(transaction), 'transaction.attempt');
      expect(collector.childrenOf(attempt).map((span) => span.name)).toEqual([
        'BEGIN',
        'repository.create',
        'repository.createMany',
        'repository.getById',
        'COMMIT',
      ]);
      const statements = collector.descendantsOf(attempt).filter((span) => span.kind === 3); // CLIENT
      const names = statements.map((span) => span.name);
      expect(names[0]).toBe('BEGIN');
      expect(names.at(-1)).toBe('COMMIT');
      expect(names).toEqual(expect.arrayContaining(['INSERT orders', 'INSERT order_items', 'SELECT orders']));
      const insert = one(statements, 'INSERT order_items');
      expect(insert.attributes['db.query.text']).toMatch(
        /^insert into "order_items" \(.*\) values \(\?(, \?)*\)/,
      );
      for (const statement of statements) {
        expect(statement.scope).toBe('@strata/pool');
        expect(statement.attributes['db.query.text']).not.toContain('traced@example.com');
      }
      // Startup migrations were traced too, and the pool's metrics were exported.
      expect(collector.spans.map((span) => span.name)).toContain('migrate.up');
      expect([...collector.metricNames]).toEqual(
        expect.arrayContaining([
          'db.client.connection.count',
          'db.client.connection.max',
          'db.client.connection.pending_requests',
          'db.client.connection.wait_time',
          'db.client.connection.use_time',
          'db.client.connection.create_time',
        ]),
      );
    } finally {
      await collector.close();
      await database.drop();
    }
  });
});
