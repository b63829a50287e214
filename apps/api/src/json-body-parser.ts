import type { FastifyInstance } from 'fastify';
import { UnreadableRequestError } from './app-errors.js';
import { decodeUtf8Body } from './utf8-body.js';

/** What of Fastify the body parser setup uses. */
export type BodyParserHost = Pick<
  FastifyInstance,
  'getDefaultJsonParser' | 'removeAllContentTypeParsers' | 'addContentTypeParser'
>;

/**
 * Makes `application/json` the only body the app reads, as UTF-8 and nothing else: a charset
 * other than utf-8 (or any other media type parameter) is a 415, and bytes that are not UTF-8
 * are kept visible (see decodeUtf8Body) instead of being decoded to U+FFFD. The JSON itself is
 * parsed by Fastify's own parser, with its empty-body and prototype-poisoning checks.
 */
export function useStrictJsonBodies(app: BodyParserHost): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    if (!onlyUtf8Charset(request.headers['content-type'] ?? '')) {
      done(
        new UnreadableRequestError(
          'UNSUPPORTED_CHARSET',
          'Send JSON as UTF-8: Content-Type: application/json, optionally with charset=utf-8; other charsets and parameters are not supported.',
        ),
        undefined,
      );
      return;
    }
    parseJson(request, decodeUtf8Body(body as Buffer), done);
  });
}

// `application/json`, or with `charset=utf-8` (any case, quoted or not) as its only parameter.
function onlyUtf8Charset(contentType: string): boolean {
  const parameters = contentType
    .split(';')
    .slice(1)
    .map((parameter) => parameter.trim())
    .filter((parameter) => parameter !== '');
  return parameters.every((parameter) => /^charset\s*=\s*"?utf-8"?$/i.test(parameter));
}
