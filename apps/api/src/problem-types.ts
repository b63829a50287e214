/**
 * Every kind of problem the API answers with. A problem's `type` is `/problems/<slug>`;
 * GET it for the description below. This list is the API's error catalogue.
 */
export const PROBLEM_TYPES = {
  'validation-error': {
    status: 400,
    title: 'Invalid Request',
    description:
      'Parts of the request break the schema. `errors` lists every invalid field at once, with where it is (body, query, path, header) and the rule it breaks.',
  },
  'bad-request': {
    status: 400,
    title: 'Bad Request',
    description:
      'The request cannot be read: malformed JSON, an empty JSON body, a malformed URL or HTTP message, or similar.',
  },
  'invalid-cursor': {
    status: 400,
    title: 'Invalid Cursor',
    description:
      'The `after` cursor is not one this list returned: altered, truncated, made for another sort, or signed by another instance of the API. Start again from the first page.',
  },
  'not-found': {
    status: 404,
    title: 'Not Found',
    description: 'No such resource, or no such route.',
  },
  duplicate: {
    status: 409,
    title: 'Already Exists',
    description: 'A unique field (e.g. a user email) is already taken. `errors` names the field.',
  },
  'version-conflict': {
    status: 409,
    title: 'Version Conflict',
    description:
      'The resource changed since you read it (optimistic locking). GET it again, reapply your change and send the new version.',
  },
  'still-referenced': {
    status: 409,
    title: 'Still Referenced',
    description: 'The resource cannot be deleted while others refer to it (e.g. a user with orders).',
  },
  'request-timeout': {
    status: 408,
    title: 'Request Timeout',
    description: 'The request did not arrive completely in time.',
  },
  'payload-too-large': {
    status: 413,
    title: 'Payload Too Large',
    description: 'The request body is larger than the API accepts (1 MiB).',
  },
  'uri-too-long': {
    status: 414,
    title: 'URI Too Long',
    description: 'A path segment of the URL is longer than the API reads (100 characters).',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported Media Type',
    description:
      'Request bodies must be JSON in UTF-8, sent with Content-Type: application/json (optionally with charset=utf-8) and without a Content-Encoding.',
  },
  'expectation-failed': {
    status: 417,
    title: 'Expectation Failed',
    description: 'The only Expect header the API meets is Expect: 100-continue.',
  },
  'unknown-reference': {
    status: 422,
    title: 'Unknown Reference',
    description: 'A field refers to something that does not exist (e.g. an order for an unknown user).',
  },
  'constraint-violation': {
    status: 422,
    title: 'Constraint Violation',
    description: 'The data breaks a rule of the database schema.',
  },
  'precondition-required': {
    status: 428,
    title: 'Precondition Required',
    description:
      'Updates need the version you read, as If-Match: "<version>" (the ETag of GET) or a "version" field, so that two clients never overwrite each other unknowingly.',
  },
  'headers-too-large': {
    status: 431,
    title: 'Request Header Fields Too Large',
    description: 'The request line and headers together are larger than the server reads (16 KiB).',
  },
  'internal-error': {
    status: 500,
    title: 'Internal Server Error',
    description:
      'Something failed on the server. Quote the requestId when reporting it; the logs have the details.',
  },
  overloaded: {
    status: 503,
    title: 'Service Overloaded',
    description:
      'Every database connection stayed busy longer than the pool waits (acquireTimeout). Retry after the Retry-After seconds.',
  },
  'try-again': {
    status: 503,
    title: 'Try Again',
    description:
      'The database could not complete the work this time (a serialization failure, deadlock, lock or statement timeout that retries did not resolve). Retry after the Retry-After seconds.',
  },
  'database-unavailable': {
    status: 503,
    title: 'Database Unavailable',
    description:
      'The database cannot be reached, or the API is shutting down. Retry after the Retry-After seconds.',
  },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

/** The `type` URI of a problem kind: a path of this API, which describes it. */
export function problemTypeUri(slug: ProblemSlug): string {
  return `/problems/${slug}`;
}
