import { MfmigError } from '../../errors/index.js';

/**
 * True for a `postgres://` or `postgresql://` URL.
 *
 * @example
 * isPostgresUrl('postgres://app@db.internal/kb'); // true
 * isPostgresUrl('./kb.db'); // false
 */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value.trim());
}

/**
 * What a PostgreSQL URL points at, for messages: `host:port/database`, never the user or
 * password. A URL that cannot be parsed is a one-line `CONFIG_INVALID` error that does not
 * repeat it (it may hold a password).
 *
 * @example
 * describePostgresUrl('postgres://app:secret@db.internal:6432/kb'); // 'db.internal:6432/kb'
 */
export function describePostgresUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new MfmigError('CONFIG_INVALID', 'The PostgreSQL URL cannot be parsed; write it as postgres://user@host:5432/database');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(the user’s database)';
  const host = url.hostname === '' ? (url.searchParams.get('host') ?? 'local socket') : url.hostname;
  return `${host}${url.port ? `:${url.port}` : ''}/${database}`;
}

/**
 * The host and port a PostgreSQL URL connects to, as backup manifests record them (a host given as
 * `?host=` for a socket included); `localhost` and 5432 where the URL leaves them out or cannot be
 * parsed.
 *
 * @example
 * postgresEndpoint('postgres://app:secret@db.internal:6432/kb'); // { host: 'db.internal', port: 6432 }
 */
export function postgresEndpoint(value: string): { host: string; port: number } {
  let host = 'localhost';
  let port = 5432;
  try {
    const parsed = new URL(value.trim());
    host = parsed.hostname || parsed.searchParams.get('host') || host;
    port = Number(parsed.port || parsed.searchParams.get('port') || port);
  } catch {
    // a connection opened with it, so the URL parsed there; keep the defaults
  }
  return { host, port };
}
