import { MfmigError } from '@mfmig/core';

/** A URL scheme: two characters at least, so that a Windows drive (`C:\db`) stays a path. */
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * The SQLite file a `--db` value, `DATABASE_URL`, `DATABASE_PATH` or the config's `database`
 * names. A plain path is returned as it is. `sqlite:` and `file:` URLs give their path,
 * percent-decoded: `sqlite:./a.db` and `file:a.db` are relative to the current directory,
 * `sqlite:///abs/a.db` and `file:///abs/a.db` absolute (`//localhost/` is allowed as the host).
 * A query or fragment (`?mode=ro`) is refused rather than ignored, since it could ask for
 * something mfmig would not do; a file name holding `?` or `#` writes them `%3F` and `%23`.
 * `postgres://` and `postgresql://` URLs are returned whole (PostgreSQL). `where` names the source
 * in the error. No error repeats a URL, which may carry a password.
 *
 * @example
 * databaseFileFrom('sqlite:///srv/kb.db', '--db'); // '/srv/kb.db'
 * databaseFileFrom('file:my%20kb.db', 'DATABASE_URL'); // 'my kb.db'
 * databaseFileFrom('./kb.db', '--db'); // './kb.db'
 */
export function databaseFileFrom(value: string, where: string): string {
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return value;
  // a server database: the URL itself is the setting (commands that do not run there refuse it)
  if (scheme === 'postgres' || scheme === 'postgresql') return value;
  if (scheme !== 'sqlite' && scheme !== 'file') {
    throw refused(
      `${where} is a ${scheme}: URL; mfmig reads SQLite files and PostgreSQL: give a path, a sqlite: or file: URL, or postgres:// (write ./${scheme}:... for a file whose name has a colon)`,
      where,
    );
  }
  let rest = value.slice(scheme.length + 1);
  if (/[?#]/.test(rest)) {
    throw refused(
      `${where}: a ${scheme}: URL with a query or fragment (such as ?mode=ro) is not supported; give the file only (write ? and # in a file name as %3F and %23)`,
      where,
    );
  }
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const host = slash === -1 ? rest.slice(2) : rest.slice(2, slash);
    if (host !== '' && host.toLowerCase() !== 'localhost') {
      throw refused(`${where}: ${scheme}://${host}... names a host; write ${scheme}:relative/path.db or ${scheme}:///absolute/path.db`, where);
    }
    rest = slash === -1 ? '' : rest.slice(slash);
  }
  let path: string;
  try {
    path = decodeURIComponent(rest);
  } catch {
    throw refused(`${where}: the ${scheme}: URL has a malformed percent escape`, where);
  }
  if (path === '') throw refused(`${where}: the ${scheme}: URL names no file`, where);
  if (path.includes('\0')) throw refused(`${where}: the ${scheme}: URL holds a NUL character`, where);
  if (path === ':memory:') throw refused(`${where}: an in-memory database cannot be migrated from the command line; give a file`, where);
  return path;
}

function refused(message: string, where: string): MfmigError {
  return new MfmigError('CONFIG_INVALID', message, { context: { source: where } });
}
