import { z } from 'zod';

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/**
 * A `bigint` id as it travels in JSON and URLs: a decimal string, so no id loses precision
 * in a JavaScript number. Anything PostgreSQL's bigint cannot hold is a 400, not a 500.
 */
export const idSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,18}$/, {
    message: 'must be a positive whole number (as a string), e.g. "42"',
    abort: true,
  })
  .refine((value) => /^[0-9]+$/.test(value) && BigInt(value) <= MAX_BIGINT, 'is too large for an id')
  .meta({ description: 'A positive 64-bit integer, as a decimal string', example: '42' });

/**
 * An id in a response. Responses are encoded through their schema on every request, so this
 * one only documents the format; the values come from the database and need no checking.
 */
export const idOutputSchema = z.string().meta({
  description: 'A positive 64-bit integer, as a decimal string',
  example: '42',
  pattern: '^[1-9][0-9]*$',
});

/** `/…/:id` path parameters. */
export const idParamsSchema = z.strictObject({ id: idSchema });

const LIMIT_RULE = 'must be a whole number from 1 to 100, in decimal digits (e.g. 20)';

/**
 * `limit` of a paged list: decimal digits only. Number() would also take `0x64`, `1e2`,
 * `100.0`, `+5`, ` 5` and the empty string; a strict API answers those with a 400.
 */
export const limitSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,2}$/, { message: LIMIT_RULE, abort: true })
  .transform(Number)
  .pipe(z.int().min(1, LIMIT_RULE).max(100, LIMIT_RULE))
  .default(20)
  .meta({ description: 'Page size (1 to 100), in decimal digits', example: '20' });

/** `after`: the `nextCursor` of the previous page. */
export const cursorSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .optional()
  .meta({ description: 'The nextCursor of the previous page; omit for the first page' });

/** A timestamp in responses (ISO 8601, UTC); documented, not re-checked on every response. */
export const timestampSchema = z.string().meta({ format: 'date-time', example: '2026-01-31T12:00:00.000Z' });

/** The shape of every page: the items, and the cursor of the next page (null on the last). */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `after` to get the next page; null on the last page' }),
  });
}

/** One invalid or unusable part of a request. */
export const fieldErrorSchema = z
  .object({
    in: z.enum(['body', 'query', 'path', 'header']),
    field: z.string().meta({ description: 'e.g. `email`, `items[1].qty`, `if-match`' }),
    detail: z.string(),
  })
  .meta({ id: 'FieldError' });

/** An RFC 9457 problem document: what every error response of the API is. */
export const problemSchema = z
  .object({
    type: z.string().meta({ description: 'Identifies the kind of problem; GET it for a description' }),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    instance: z.string().optional().meta({ description: 'The request path' }),
    requestId: z.string().meta({ description: 'Quote it when reporting a problem; it is in every log line' }),
    errors: z.array(fieldErrorSchema).optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.output<typeof problemSchema>;

export type FieldError = z.output<typeof fieldErrorSchema>;

/** A response of a route that answers with a problem document (for the OpenAPI description). */
export function problemResponse(description: string) {
  return { description, content: { 'application/problem+json': { schema: problemSchema } } };
}
