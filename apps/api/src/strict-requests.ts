import { findUnstorableText, type UnstorableTextReason } from '@strata/repository';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type MalformedText, MalformedTextError, UnreadableRequestError } from './app-errors.js';
import { fieldName } from './validation-problem.js';

/** What of Fastify the strict request rules use. */
export type StrictRequestHost = Pick<FastifyInstance, 'addHook'>;

/** Routes under this prefix (Swagger UI's files) keep their own rules. */
export interface StrictRequestOptions {
  exemptPrefix: string;
}

const NO_PARAMETERS = z.strictObject({});

const TEXT_DETAILS: Record<UnstorableTextReason, string> = {
  nul: 'must not contain the NUL character (U+0000)',
  'unpaired-surrogate':
    'must be well-formed Unicode: no unpaired surrogate escape (such as "\\ud800") and no bytes that are not UTF-8',
};

/**
 * The rules behind "strict" that zod schemas cannot express, for every route registered after
 * this call:
 * - a route without a querystring schema takes no query parameters (an unknown one is a 400);
 * - a request body with a Content-Encoding other than identity, or a Transfer-Encoding other
 *   than chunked, is a 415 — the API does not decompress, and will not parse compressed bytes;
 * - an HTTP/1.1 request without Host is a 400 problem (the HTTP server lets it through to here);
 * - text in the body or query that PostgreSQL would refuse (NUL) or silently change (an
 *   unpaired surrogate, or bytes that were not UTF-8) is a 400 naming every such field, before
 *   the schemas run.
 */
export function useStrictRequests(app: StrictRequestHost, options: StrictRequestOptions): void {
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(options.exemptPrefix)) return;
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    if (schema.querystring === undefined) route.schema = { ...schema, querystring: NO_PARAMETERS };
  });

  app.addHook('onRequest', (request, _reply, done) => {
    done(framingProblem(request));
  });

  app.addHook('preValidation', (request, _reply, done) => {
    const found: MalformedText[] = [];
    for (const [part, value] of [
      ['body', request.body],
      ['query', request.query],
    ] as const) {
      for (const { path, reason } of findUnstorableText(value, 20)) {
        found.push({ in: part, field: fieldName(path, part), detail: TEXT_DETAILS[reason] });
      }
    }
    done(found.length > 0 ? new MalformedTextError(found) : undefined);
  });
}

function framingProblem(request: FastifyRequest): Error | undefined {
  const { headers } = request;
  const contentEncoding = headers['content-encoding'];
  if (contentEncoding !== undefined && contentEncoding.trim().toLowerCase() !== 'identity') {
    return new UnreadableRequestError(
      'UNSUPPORTED_CONTENT_ENCODING',
      'Send the body without Content-Encoding (or with Content-Encoding: identity): the API does not decompress request bodies.',
    );
  }
  const transferEncoding = headers['transfer-encoding'];
  if (transferEncoding !== undefined && transferEncoding.trim().toLowerCase() !== 'chunked') {
    return new UnreadableRequestError(
      'UNSUPPORTED_CONTENT_ENCODING',
      'Send the body with Content-Length or Transfer-Encoding: chunked; other transfer codings are not supported.',
    );
  }
  if (request.raw.httpVersion === '1.1' && headers.host === undefined) {
    return new UnreadableRequestError('HOST_REQUIRED', 'An HTTP/1.1 request needs a Host header.');
  }
  return undefined;
}
