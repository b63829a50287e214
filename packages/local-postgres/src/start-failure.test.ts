import { expect, test } from 'vitest';
import { NoPostgresAvailableError } from './no-postgres-available-error.js';
import { startPostgres } from './start-postgres.js';

test('a server that refuses to start is reported with its own reason from the server log', async () => {
  const failure = await startPostgres({
    providers: ['embedded'],
    settings: { shared_buffers: 'plenty' },
    log: false,
  }).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(NoPostgresAvailableError);
  const message = (failure as Error).message;
  expect(message).toMatch(
    /exited during start-up \(code 1\): .*FATAL: +invalid value for parameter "shared_buffers": "plenty"/,
  );
  // The real cause leads; the generic advice about Docker and URLs does not hide it.
  expect(message.indexOf('shared_buffers')).toBeLessThan(message.indexOf('Docker'));
});
