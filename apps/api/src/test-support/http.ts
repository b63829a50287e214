import { expect } from 'vitest';
import type { Problem } from '../common-schemas.js';

/** A response read whole: status, headers and the parsed JSON body (undefined when not JSON). */
export interface HttpResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/**
 * One request over real HTTP (global fetch). `json` becomes the body with
 * Content-Type: application/json; `body` is sent as given.
 */
export async function http(
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

// What must never reach a client: stack frames and SQL.
const STACK_FRAME = /\bat .*\.(?:js|ts|mjs|cjs):\d+/;
const SQL = /\b(?:select|insert\s+into|update\s+\S+\s+set|delete\s+from)\b/i;

/**
 * Asserts an RFC 9457 problem response: the status, the problem content type, the `type`
 * `/problems/<slug>`, the request id matching the X-Request-Id header, and neither a stack
 * trace nor SQL anywhere in the body. Returns the problem.
 */
export function expectProblem(response: HttpResponse, status: number, slug: string): Problem {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = response.body as Problem;
  expect(problem).toMatchObject({
    type: `/problems/${slug}`,
    status,
    title: expect.any(String),
    detail: expect.any(String),
    requestId: response.headers.get('x-request-id'),
  });
  expect(response.text).not.toMatch(STACK_FRAME);
  expect(response.text).not.toMatch(SQL);
  return problem;
}
