import { describe, expect, test } from 'vitest';
import { createLogger } from './create-logger.js';

function capture(secrets?: Set<string>) {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(line) },
    secrets,
  });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('createLogger', () => {
  test('writes JSON lines with level, time, service and message', () => {
    const { logger, parsed } = capture();
    logger.info({ url: 'http://127.0.0.1:3000' }, 'listening');
    expect(parsed()).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        service: 'strata-api',
        url: 'http://127.0.0.1:3000',
        msg: 'listening',
      },
    ]);
  });

  test('scrubs the secrets from every line, including ones added after creation and child loggers', () => {
    const secrets = new Set<string>();
    const { logger, lines } = capture(secrets);
    secrets.add('s3cr3t-pa55word');
    logger.error({ err: new Error('login as app with s3cr3t-pa55word failed') }, 'oops s3cr3t-pa55word');
    logger.child({ requestId: 'r1' }).warn({ detail: { nested: 's3cr3t-pa55word' } }, 'child');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain('s3cr3t-pa55word');
      expect(line).toContain('***');
    }
  });

  test('logs errors by type, code, message and stack, never their cause', () => {
    const { logger, parsed } = capture();
    const cause = Object.assign(new Error('insert into users values ($1) -- ann@example.com'), {
      code: '23505',
    });
    const error = Object.assign(new Error('duplicate key', { cause }), { code: 'UNIQUE_VIOLATION' });
    logger.error({ err: error }, 'failed');
    const [line] = parsed();
    expect(line?.err).toEqual({
      type: 'Error',
      code: 'UNIQUE_VIOLATION',
      message: 'duplicate key',
      stack: expect.stringContaining('duplicate key'),
    });
    expect(JSON.stringify(line)).not.toContain('insert into');
  });
});
