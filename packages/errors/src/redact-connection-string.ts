const REDACTED = '***';

/**
 * Returns the connection string with its password replaced by `***`, for messages and logs.
 * Handles URLs (`postgres://user:secret@host/db`), libpq multi-host URLs
 * (`postgres://user:secret@a:5432,b:5432/db`, which WHATWG URL parsing rejects), `password=`
 * query parameters and libpq key/value strings (`host=x password=secret`).
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
    const url = redactUrlText(connectionString);
    if (url !== undefined) return url;
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

// A URL the URL parser refuses (several hosts): the password is what lies between the first
// ':' of the user info and the last '@' of the authority.
function redactUrlText(text: string): string | undefined {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(text);
  if (!match) return undefined;
  const [, scheme, authority = '', rest = ''] = match;
  const at = authority.lastIndexOf('@');
  const colon = authority.indexOf(':');
  const redactedAuthority =
    at !== -1 && colon !== -1 && colon < at
      ? `${authority.slice(0, colon + 1)}${REDACTED}${authority.slice(at)}`
      : authority;
  return `${scheme}${redactedAuthority}${rest.replace(/([?&](?:ssl)?password=)[^&#]*/gi, `$1${REDACTED}`)}`;
}
