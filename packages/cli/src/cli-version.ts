import { readFileSync } from 'node:fs';

/**
 * The version of the installed `@mfmig/cli`, read from its package.json (one folder above
 * `dist/`), for `mfmig --version`.
 *
 * @example
 * cliVersion(); // '0.2.0'
 */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    // a bundled copy without its package.json still runs; it just cannot say which version it is
    return 'unknown';
  }
}
