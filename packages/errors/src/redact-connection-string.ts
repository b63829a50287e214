const REDACTED = '***';

/**
 * Returns the connection string with its password replaced by `***`, for messages and logs.
 * Handles URLs (`postgres://user:secret@host/db`), `password=` query parameters and
 * libpq key/value strings (`host=x password=secret`).
 */
export function redactConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = REDACTED;
    for (const key of ['password', 'sslpassword']) {
      if (url.searchParams.has(key)) url.searchParams.set(key, REDACTED);
    }
    return url.toString();
  } catch {
    return connectionString.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, `$1${REDACTED}`);
  }
}

/**
 * Replaces every occurrence of `secret` in `text` with `***`. Used on messages that came
 * from elsewhere (a driver, a child process) before they reach a log or an error.
 */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join(REDACTED);
}
