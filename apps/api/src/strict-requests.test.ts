import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Problem } from './common-schemas.js';
import { expectProblem, http } from './test-support/http.js';
import { type RawResponse, sendRaw } from './test-support/raw-http.js';
import { startTestServer, type TestServer } from './test-support/test-server.js';
import type { UserResponse } from './user-schemas.js';

let api: TestServer;
const call = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
  http(api.url, method, path, options);
let sequence = 0;
const email = () => `strict${++sequence}@example.com`;

beforeAll(async () => {
  api = await startTestServer('api_strict');
});

afterAll(async () => {
  await api?.close();
});

const fieldsOf = (problem: Problem) => problem.errors?.map((error) => `${error.in}:${error.field}`);

describe('query strings', () => {
  test('a route without query parameters rejects any, naming them', async () => {
    const user = (await call('POST', '/users', { json: { email: email(), name: 'Q' } })).body as UserResponse;
    for (const path of [`/users/${user.id}?x=1`, '/health/live?debug', '/orders/1?expand=items']) {
      const problem = expectProblem(await call('GET', path), 400, 'validation-error');
      expect(problem.errors?.[0]).toMatchObject({ in: 'query', detail: 'is not a known parameter' });
    }
  });

  test('limit is decimal digits only: no hex, exponent, fraction, sign, space or leading zero', async () => {
    for (const limit of ['0x64', '1e2', '100.0', '+5', ' 5', '5 ', '05', '', '0', '101', '-1', '５']) {
      const response = await call('GET', `/users?limit=${encodeURIComponent(limit)}`);
      expect(fieldsOf(expectProblem(response, 400, 'validation-error')), limit).toEqual(['query:limit']);
    }
    for (const limit of ['1', '20', '100'])
      expect((await call('GET', `/users?limit=${limit}`)).status).toBe(200);
  });
});

describe('bodies', () => {
  test('a Content-Encoding other than identity, or an exotic Transfer-Encoding, is a 415', async () => {
    const body = JSON.stringify({ email: email(), name: 'Zip' });
    for (const encoding of ['gzip', 'deflate', 'br', 'identity, gzip']) {
      const response = await call('POST', '/users', {
        body,
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      });
      expectProblem(response, 415, 'unsupported-media-type');
    }
    const identity = await call('POST', '/users', {
      body,
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
    });
    expect(identity.status).toBe(201);
  });

  test('JSON in any charset but UTF-8, or with other parameters, is a 415', async () => {
    for (const contentType of [
      'application/json; charset=utf-16',
      'application/json; charset=iso-8859-1',
      'application/json; charset=utf-8; boundary=x',
      'application/json; foo=bar',
    ]) {
      const response = await call('POST', '/users', {
        body: JSON.stringify({ email: email(), name: 'Charset' }),
        headers: { 'content-type': contentType },
      });
      expectProblem(response, 415, 'unsupported-media-type');
    }
    for (const contentType of ['application/json; charset=UTF-8', 'application/json;charset="utf-8"']) {
      const response = await call('POST', '/users', {
        body: JSON.stringify({ email: email(), name: 'Charset' }),
        headers: { 'content-type': contentType },
      });
      expect(response.status, contentType).toBe(201);
    }
  });

  test('a NUL in a text field is a 400 naming the field, on create and on update', async () => {
    const created = await call('POST', '/users', { json: { email: email(), name: 'nul\u0000here' } });
    const problem = expectProblem(created, 400, 'validation-error');
    expect(problem.errors).toEqual([{ in: 'body', field: 'name', detail: expect.stringMatching(/NUL/) }]);
    const user = (await call('POST', '/users', { json: { email: email(), name: 'Plain' } }))
      .body as UserResponse;
    const patched = await call('PATCH', `/users/${user.id}`, {
      json: { name: '\u0000' },
      headers: { 'if-match': '"1"' },
    });
    expect(fieldsOf(expectProblem(patched, 400, 'validation-error'))).toEqual(['body:name']);
  });

  test('an unpaired surrogate escape or bytes that are not UTF-8 are a 400 naming the field, not U+FFFD', async () => {
    const escaped = await call('POST', '/users', {
      body: `{"email":"${email()}","name":"half \\ud800 a pair"}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(fieldsOf(expectProblem(escaped, 400, 'validation-error'))).toEqual(['body:name']);
    const bytes = Buffer.concat([
      Buffer.from(`{"email":"${email()}","name":"latin-1 `),
      Buffer.from([0xe9, 0xff]),
      Buffer.from('"}'),
    ]);
    const invalid = await call('POST', '/users', {
      body: bytes,
      headers: { 'content-type': 'application/json' },
    });
    expect(fieldsOf(expectProblem(invalid, 400, 'validation-error'))).toEqual(['body:name']);
    // A key that is not UTF-8 is named too; bytes outside strings make the JSON invalid.
    const key = Buffer.concat([Buffer.from('{"'), Buffer.from([0xc0]), Buffer.from('":1}')]);
    expectProblem(
      await call('POST', '/users', { body: key, headers: { 'content-type': 'application/json' } }),
      400,
      'validation-error',
    );
    const outside = Buffer.concat([Buffer.from('{"name":"x"'), Buffer.from([0xff]), Buffer.from('}')]);
    expectProblem(
      await call('POST', '/users', { body: outside, headers: { 'content-type': 'application/json' } }),
      400,
      'bad-request',
    );
  });

  test('a NUL in a query value is a 400 naming the parameter', async () => {
    const response = await call('GET', '/users?email=a%00b%40example.com');
    expect(fieldsOf(expectProblem(response, 400, 'validation-error'))).toEqual(['query:email']);
  });
});

describe('URLs', () => {
  test('a path segment over 100 characters is a 414 that does not echo it', async () => {
    const response = await call('GET', `/users/${'9'.repeat(101)}`);
    expectProblem(response, 414, 'uri-too-long');
    expect(response.text).not.toContain('9'.repeat(20));
  });

  test('a path that does not percent-decode to UTF-8 is a 400 that does not echo it', async () => {
    const response = await call('GET', '/users/%E2%82');
    expectProblem(response, 400, 'bad-request');
    expect(response.text).not.toContain('%E2');
  });
});

/** Asserts a problem read off a raw socket, as expectProblem does for fetch responses. */
function expectRawProblem(response: RawResponse | undefined, status: number, slug: string): Problem {
  expect(response, 'no response').toBeDefined();
  const { headers, body } = response as RawResponse;
  expect(response?.status, response?.raw.slice(0, 300)).toBe(status);
  expect(headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(body) as Problem;
  expect(problem).toMatchObject({ type: `/problems/${slug}`, status, requestId: headers['x-request-id'] });
  return problem;
}

describe('HTTP messages Node rejects are problems too', () => {
  test('bad framing, a missing Host, an unmet Expect', async () => {
    const cases: [string, number, string][] = [
      ['GET /users HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 'bad-request'],
      [
        'POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}',
        400,
        'bad-request',
      ],
      ['GET /users HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, 'bad-request'],
      ['HELLO\r\n\r\n', 400, 'bad-request'],
      ['GET /us\u0000ers HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad-request'],
      [
        'POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        400,
        'bad-request',
      ],
      ['GET /users HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n', 417, 'expectation-failed'],
      [
        'POST /users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n',
        415,
        'unsupported-media-type',
      ],
    ];
    for (const [request, status, slug] of cases) {
      const response = await sendRaw(api.url, request);
      expect(`${JSON.stringify(request)} -> ${response?.status}`).toBe(
        `${JSON.stringify(request)} -> ${status}`,
      );
      expectRawProblem(response, status, slug);
    }
  });

  test('headers or a URL over 16 KiB are a 431 that echoes neither', async () => {
    const header = `GET /users HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`;
    const url = `GET /${'u'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    for (const request of [header, url]) {
      const response = await sendRaw(api.url, request);
      expectRawProblem(response, 431, 'headers-too-large');
      expect(response?.body).not.toMatch(/hhhh|uuuu/);
    }
  });
});
