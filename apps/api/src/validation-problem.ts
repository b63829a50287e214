import type { FastifyRequest } from 'fastify';
import { type ZodType, z } from 'zod';
import type { FieldError } from './common-schemas.js';

type Part = 'params' | 'body' | 'querystring' | 'headers';

// Fastify validates in this order and stops at the first part that fails.
const PARTS: readonly Part[] = ['params', 'body', 'querystring', 'headers'];

// Where each part is on the request object.
const PROPERTY = { params: 'params', body: 'body', querystring: 'query', headers: 'headers' } as const;

const LOCATION: Record<Part, FieldError['in']> = {
  params: 'path',
  body: 'body',
  querystring: 'query',
  headers: 'header',
};

/** `items[1].qty` from a zod path. */
export function fieldName(path: readonly PropertyKey[], location: FieldError['in']): string {
  if (path.length === 0) return location;
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

function issuesToFieldErrors(error: z.ZodError, location: FieldError['in']): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        in: location,
        field: fieldName([...issue.path, key], location),
        detail: location === 'query' ? 'is not a known parameter' : 'is not a known field',
      }));
    }
    if (issue.path.length === 0 && issue.code === 'invalid_type' && location === 'body') {
      return [{ in: location, field: 'body', detail: 'must be a JSON object' }];
    }
    return [{ in: location, field: fieldName(issue.path, location), detail: issue.message }];
  });
}

/**
 * Every invalid field of a request that failed validation, across path, body, query and
 * headers. Fastify stops at the first part that fails, so the parts from that one on are
 * checked again here against the route's zod schemas (they are still the raw input), and a
 * client learns about all its mistakes in one answer.
 */
export function validationFieldErrors(request: FastifyRequest, failedPart: string | undefined): FieldError[] {
  const schema = request.routeOptions.schema as Partial<Record<Part, unknown>> | undefined;
  const start = Math.max(0, PARTS.indexOf(failedPart as Part));
  const errors: FieldError[] = [];
  for (const part of PARTS.slice(start)) {
    const partSchema = schema?.[part];
    if (!(partSchema instanceof z.ZodType)) continue;
    const result = (partSchema as ZodType).safeParse(request[PROPERTY[part]] ?? null);
    if (!result.success) errors.push(...issuesToFieldErrors(result.error, LOCATION[part]));
  }
  return errors;
}
