import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectProblem, http } from './test-support/http.js';
import { startTestServer, type TestServer } from './test-support/test-server.js';
import type { UserResponse } from './user-schemas.js';

type UserPage = { items: UserResponse[]; nextCursor: string | null };

let api: TestServer;
const call = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
  http(api.url, method, path, options);

async function createUser(email: string, name = 'Ann'): Promise<UserResponse> {
  const response = await call('POST', '/users', { json: { email, name } });
  expect(response.status, response.text).toBe(201);
  return response.body as UserResponse;
}

beforeAll(async () => {
  api = await startTestServer('api_users');
});

afterAll(async () => {
  await api?.close();
});

describe('POST /users', () => {
  test('creates a user: 201 with Location, ETag and the stored user; the email is normalised', async () => {
    const response = await call('POST', '/users', {
      json: { email: ' Ann.Lee@Example.COM ', name: ' Ann ' },
    });
    expect(response.status).toBe(201);
    const user = response.body as UserResponse;
    expect(user).toMatchObject({ email: 'ann.lee@example.com', name: 'Ann', version: 1 });
    expect(user.id).toMatch(/^[1-9][0-9]*$/);
    expect(response.headers.get('location')).toBe(`/users/${user.id}`);
    expect(response.headers.get('etag')).toBe('"1"');
    expect(new Date(user.createdAt).getTime()).not.toBeNaN();
  });

  test('names every invalid field at once: bad email, empty name, unknown field', async () => {
    const response = await call('POST', '/users', { json: { email: 'not-an-email', name: '', admin: true } });
    const problem = expectProblem(response, 400, 'validation-error');
    expect(problem.errors).toEqual([
      { in: 'body', field: 'email', detail: 'must be an email address' },
      { in: 'body', field: 'name', detail: 'must not be empty' },
      { in: 'body', field: 'admin', detail: 'is not a known field' },
    ]);
  });

  test('a missing body or a body that is not an object is a 400 naming the body', async () => {
    for (const json of [[1, 2], 'text', null]) {
      const problem = expectProblem(await call('POST', '/users', { json }), 400, 'validation-error');
      expect(problem.errors).toEqual([{ in: 'body', field: 'body', detail: 'must be a JSON object' }]);
    }
    const empty = expectProblem(await call('POST', '/users'), 400, 'validation-error');
    expect(empty.errors?.[0]).toMatchObject({ in: 'body', field: 'body' });
  });

  test('a taken email is a 409 naming the field, whatever its case', async () => {
    await createUser('bo@example.com');
    const response = await call('POST', '/users', { json: { email: 'BO@example.com', name: 'Bo' } });
    const problem = expectProblem(response, 409, 'duplicate');
    expect(problem.errors).toEqual([
      { in: 'body', field: 'email', detail: 'is already taken by another user' },
    ]);
  });

  test('concurrent submits of one email: exactly one 201, every other one 409', async () => {
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        call('POST', '/users', { json: { email: 'race@example.com', name: 'Racer' } }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const response of responses.filter((r) => r.status === 409))
      expectProblem(response, 409, 'duplicate');
    const found = await call('GET', '/users?email=race@example.com');
    expect((found.body as UserPage).items).toHaveLength(1);
  });
});

describe('GET /users/:id', () => {
  test('returns the user with its version as ETag', async () => {
    const created = await createUser('cy@example.com', 'Cy');
    const response = await call('GET', `/users/${created.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
    expect(response.headers.get('etag')).toBe('"1"');
  });

  test('an unknown id is a 404 problem', async () => {
    const problem = expectProblem(await call('GET', '/users/999999'), 404, 'not-found');
    expect(problem.detail).toBe('User 999999 was not found.');
    expect(problem.instance).toBe('/users/999999');
  });

  test('an id that is not a positive 64-bit number is a 400 naming the path parameter', async () => {
    for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999', '9223372036854775808']) {
      const problem = expectProblem(await call('GET', `/users/${id}`), 400, 'validation-error');
      expect(problem.errors?.map((error) => [error.in, error.field])).toEqual([['path', 'id']]);
    }
  });
});

describe('GET /users', () => {
  test('pages through every user exactly once with nextCursor, in the requested order', async () => {
    for (let index = 0; index < 5; index++) await createUser(`page${index}@example.com`, `Page ${index}`);
    for (const sort of ['id', '-id', 'createdAt', '-createdAt']) {
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const query: string = `/users?limit=2&sort=${sort}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
        const response = await call('GET', query);
        expect(response.status, response.text).toBe(200);
        const page = response.body as UserPage;
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((user) => user.id));
        after = page.nextCursor;
      } while (after !== null);
      const all = (await call('GET', `/users?limit=100&sort=${sort}`)).body as UserPage;
      expect(seen).toEqual(all.items.map((user) => user.id));
      expect(new Set(seen).size).toBe(seen.length);
      const ids = all.items.map((user) => BigInt(user.id));
      const ascending = [...ids].sort((a, b) => (a < b ? -1 : 1));
      expect(ids).toEqual(sort.startsWith('-') ? ascending.reverse() : ascending);
    }
  });

  test('?email= finds the one user with that email (any case), or none', async () => {
    const user = await createUser('find.me@example.com', 'Findable');
    const found = await call('GET', '/users?email=Find.Me@Example.com');
    expect(found.body).toEqual({ items: [user], nextCursor: null });
    const none = await call('GET', '/users?email=nobody@example.com');
    expect(none.body).toEqual({ items: [], nextCursor: null });
  });

  test('invalid query parameters are a 400 naming each of them', async () => {
    const response = await call('GET', '/users?limit=500&sort=name&email=x&color=red');
    const problem = expectProblem(response, 400, 'validation-error');
    expect(problem.errors?.map((error) => `${error.in}:${error.field}`).sort()).toEqual([
      'query:color',
      'query:email',
      'query:limit',
      'query:sort',
    ]);
  });

  test('a cursor that was altered, or made for another sort, is a 400 invalid-cursor naming `after`', async () => {
    const first = (await call('GET', '/users?limit=1')).body as UserPage;
    expect(first.nextCursor).not.toBeNull();
    const cursor = first.nextCursor as string;
    for (const query of [
      `/users?limit=1&after=${encodeURIComponent(`${cursor}x`)}`,
      `/users?limit=1&after=garbage`,
      `/users?limit=1&sort=-createdAt&after=${encodeURIComponent(cursor)}`,
    ]) {
      const problem = expectProblem(await call('GET', query), 400, 'invalid-cursor');
      expect(problem.errors).toEqual([{ in: 'query', field: 'after', detail: expect.any(String) }]);
    }
  });
});

describe('PATCH /users/:id (optimistic locking)', () => {
  test('applies a change to the version named by If-Match and returns the next version', async () => {
    const user = await createUser('dee@example.com', 'Dee');
    const response = await call('PATCH', `/users/${user.id}`, {
      json: { name: 'Deedee' },
      headers: { 'if-match': '"1"' },
    });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({
      id: user.id,
      name: 'Deedee',
      email: 'dee@example.com',
      version: 2,
    });
    expect(response.headers.get('etag')).toBe('"2"');
    const reread = await call('GET', `/users/${user.id}`);
    expect(reread.body).toMatchObject({ name: 'Deedee', version: 2 });
  });

  test('takes the version from the body instead, and a weak ETag too', async () => {
    const user = await createUser('eve@example.com', 'Eve');
    const first = await call('PATCH', `/users/${user.id}`, { json: { name: 'Eve 2', version: 1 } });
    expect(first.status, first.text).toBe(200);
    const second = await call('PATCH', `/users/${user.id}`, {
      json: { email: 'eve2@example.com' },
      headers: { 'if-match': 'W/"2"' },
    });
    expect(second.body).toMatchObject({ email: 'eve2@example.com', version: 3 });
  });

  test('a stale version is a 409 and changes nothing', async () => {
    const user = await createUser('fay@example.com', 'Fay');
    await call('PATCH', `/users/${user.id}`, { json: { name: 'Fay 2' }, headers: { 'if-match': '"1"' } });
    const stale = await call('PATCH', `/users/${user.id}`, {
      json: { name: 'Lost' },
      headers: { 'if-match': '"1"' },
    });
    expectProblem(stale, 409, 'version-conflict');
    expect((await call('GET', `/users/${user.id}`)).body).toMatchObject({ name: 'Fay 2', version: 2 });
  });

  test('concurrent PATCHes of the same version: exactly one 200, every other one 409', async () => {
    const user = await createUser('gus@example.com', 'Gus');
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        call('PATCH', `/users/${user.id}`, {
          json: { name: `Gus ${index}` },
          headers: { 'if-match': '"1"' },
        }),
      ),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    const winner = responses.find((response) => response.status === 200)?.body as UserResponse;
    expect((await call('GET', `/users/${user.id}`)).body).toMatchObject({ name: winner.name, version: 2 });
  });

  test('without a version it is a 428; with two different versions, a 400 naming both', async () => {
    const user = await createUser('hal@example.com', 'Hal');
    expectProblem(
      await call('PATCH', `/users/${user.id}`, { json: { name: 'X' } }),
      428,
      'precondition-required',
    );
    const both = await call('PATCH', `/users/${user.id}`, {
      json: { name: 'X', version: 2 },
      headers: { 'if-match': '"1"' },
    });
    const problem = expectProblem(both, 400, 'validation-error');
    expect(problem.errors?.map((error) => `${error.in}:${error.field}`)).toEqual([
      'header:if-match',
      'body:version',
    ]);
  });

  test('a user that is gone is a 404, not a conflict', async () => {
    const response = await call('PATCH', '/users/987654', {
      json: { name: 'X' },
      headers: { 'if-match': '"1"' },
    });
    expectProblem(response, 404, 'not-found');
  });

  test('taking an email that another user has is a 409 naming the field', async () => {
    await createUser('ivy@example.com', 'Ivy');
    const jon = await createUser('jon@example.com', 'Jon');
    const response = await call('PATCH', `/users/${jon.id}`, {
      json: { email: 'IVY@example.com' },
      headers: { 'if-match': '"1"' },
    });
    expect(expectProblem(response, 409, 'duplicate').errors?.[0]?.field).toBe('email');
  });

  test('invalid path, header and body are reported together', async () => {
    const response = await call('PATCH', '/users/x', {
      json: { name: '', version: 'one', id: '5' },
      headers: { 'if-match': 'three' },
    });
    const problem = expectProblem(response, 400, 'validation-error');
    expect(problem.errors?.map((error) => `${error.in}:${error.field}`)).toEqual([
      'path:id',
      'body:name',
      'body:version',
      'body:id',
      'header:if-match',
    ]);
  });

  test('a body with nothing to change is a 400', async () => {
    const user = await createUser('kim@example.com', 'Kim');
    const response = await call('PATCH', `/users/${user.id}`, { json: { version: 1 } });
    expect(expectProblem(response, 400, 'validation-error').errors?.[0]).toMatchObject({
      in: 'body',
      detail: 'give email or name (or both) to change',
    });
  });
});

describe('DELETE /users/:id', () => {
  test('deletes: 204, then the user is a 404', async () => {
    const user = await createUser('lou@example.com', 'Lou');
    const response = await call('DELETE', `/users/${user.id}`);
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expectProblem(await call('GET', `/users/${user.id}`), 404, 'not-found');
    expectProblem(await call('DELETE', `/users/${user.id}`), 404, 'not-found');
  });

  test('with If-Match, only that version is deleted; another version is a 409', async () => {
    const user = await createUser('max@example.com', 'Max');
    expectProblem(
      await call('DELETE', `/users/${user.id}`, { headers: { 'if-match': '"7"' } }),
      409,
      'version-conflict',
    );
    const deleted = await call('DELETE', `/users/${user.id}`, { headers: { 'if-match': '"1"' } });
    expect(deleted.status).toBe(204);
  });

  test('a user with orders cannot be deleted: 409 still-referenced', async () => {
    const user = await createUser('ned@example.com', 'Ned');
    const order = await call('POST', '/orders', {
      json: { userId: user.id, items: [{ productId: '1', qty: 1 }] },
    });
    expect(order.status).toBe(201);
    const problem = expectProblem(await call('DELETE', `/users/${user.id}`), 409, 'still-referenced');
    expect(problem.detail).toBe('The user has orders and cannot be deleted.');
  });
});

test('no log line of this file holds the database password', () => {
  const password = decodeURIComponent(new URL(api.server.database.connectionString).password);
  expect(password.length).toBeGreaterThan(5);
  expect(api.logLines.length).toBeGreaterThan(50);
  expect(api.logLines.filter((line) => line.includes(password))).toEqual([]);
  // Every request's lines carry its id.
  const completed = api.logLines
    .map((line) => JSON.parse(line))
    .filter((line) => line.msg === 'request completed');
  expect(completed.length).toBeGreaterThan(20);
  for (const line of completed) expect(line.requestId).toEqual(expect.any(String));
});
