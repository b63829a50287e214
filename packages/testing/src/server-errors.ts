import {
  ConnectionError,
  ConnectionRejectedError,
  mapConnectError,
  redactConnectionString,
} from '@strata/errors';

/**
 * Runs `operation` against the test server at `serverUrl` and rethrows its failure as a Strata
 * error: a refused, unreachable or rejected connection (wrong password, missing database) as a
 * `ConnectionError` naming the server — its URL without the password — anything else as
 * `mapConnectError` types it. Raw driver errors never reach the test output.
 */
export async function withServerErrors<T>(serverUrl: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const mapped = mapConnectError(error);
    // A rejected login or a missing database is, for a test run, a server it cannot connect to.
    const reason =
      mapped instanceof ConnectionError
        ? mapped.reason
        : mapped instanceof ConnectionRejectedError
          ? mapped.sqlState
          : undefined;
    if (!(mapped instanceof ConnectionError || mapped instanceof ConnectionRejectedError)) throw mapped;
    throw new ConnectionError(
      `Could not connect to the test server ${redactConnectionString(serverUrl)}: ${mapped.message}`,
      { cause: error, reason },
    );
  }
}
