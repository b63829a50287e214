import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { startPostgres } from './index.js';

const savedEnvironment = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnvironment };
});

/**
 * A Docker engine API endpoint that answers the ping and the info request, as a running engine
 * does, and refuses everything else (pulls, inspections, container creation) with a 500.
 * A real HTTP server on loopback: Testcontainers talks to it as it would to dockerd.
 */
async function startFailingDockerEngine(): Promise<{ server: Server; host: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const url = request.url ?? '';
    requests.push(`${request.method} ${url}`);
    if (url.endsWith('/_ping')) {
      response.writeHead(200, { 'content-type': 'text/plain', 'api-version': '1.43' }).end('OK');
    } else if (url.endsWith('/info')) {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ ServerVersion: '27.0.0', OperatingSystem: 'fake', OSType: 'linux', Labels: [] }),
        );
    } else {
      response
        .writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: 'fake engine refuses to create containers' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, host: `127.0.0.1:${port}`, requests };
}

// One engine for the file: Testcontainers keeps the engine it found for the whole process.
let engine: Awaited<ReturnType<typeof startFailingDockerEngine>>;
beforeAll(async () => {
  engine = await startFailingDockerEngine();
});
afterAll(() => {
  engine.server.close();
});

test('Testcontainers loads on this Node version', async () => {
  // @testcontainers/postgresql 12 needs Node >= 22 (undici 8) and fails to load on Node 20.
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  expect(typeof PostgreSqlContainer).toBe('function');
});

test('an engine that answers but cannot run the container: one line says why, then the embedded server', async () => {
  process.env.DOCKER_HOST = `tcp://${engine.host}`;
  const lines: string[] = [];
  const server = await startPostgres({ providers: ['docker', 'embedded'], log: (line) => lines.push(line) });
  try {
    expect(server.provider).toBe('embedded');
  } finally {
    await server.stop();
  }
  // Testcontainers really reached the fake engine past the ping.
  expect(engine.requests.some((request) => !request.endsWith('/_ping'))).toBe(true);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(
    new RegExp(
      `^\\[strata\\] The Docker engine at ${engine.host} answered, but PostgreSQL in Docker failed: ` +
        'the postgres:16-alpine container did not start: .*fake engine refuses to create containers.*; ' +
        'trying embedded instead\\.$',
    ),
  );
  expect(lines[0]).not.toContain('\n');
  expect(lines[1]).toMatch(/^\[strata\] PostgreSQL from embedded/);
});

test('without a provider after Docker, the reason is in the error, not logged', async () => {
  process.env.DOCKER_HOST = `tcp://${engine.host}`;
  const lines: string[] = [];
  const failure: unknown = await startPostgres({
    providers: ['docker'],
    log: (line) => lines.push(line),
  }).catch((error: unknown) => error);
  expect((failure as Error).message).toContain('fake engine refuses to create containers');
  expect(lines).toEqual([]);
});
