import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MfmigError, userCacheDirectory } from '@mfmig/core';
import { type MfmigConfig, mfmigConfigSchema } from './mfmig-config.js';

/** The names a config file may have, in the current directory. */
export const CONFIG_FILE_NAMES = ['mfmig.config.ts', 'mfmig.config.mjs', 'mfmig.config.js', 'mfmig.config.json'] as const;

/** A config file, read and checked. */
export interface LoadedConfig {
  /** Absolute path of the file. */
  file: string;
  /** Its settings, paths still as written (relative to `dirname(file)`). */
  config: MfmigConfig;
}

/**
 * The config file to read: `explicit` (from `--config`), which must exist, or the one
 * `mfmig.config.*` in `cwd`. Two of them in `cwd` are an error naming both. Undefined when
 * there is none.
 *
 * @example
 * findConfigFile('/srv/app'); // '/srv/app/mfmig.config.ts', or undefined
 */
export function findConfigFile(cwd: string, explicit?: string): string | undefined {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file) || !statSync(file).isFile()) throw invalid(`Config file ${explicit} (--config) does not exist or is not a file`, file);
    return file;
  }
  const found = CONFIG_FILE_NAMES.filter((name) => existsSync(join(cwd, name)));
  if (found.length > 1) throw invalid(`Two config files in ${cwd}: ${found.join(' and ')}; keep one`, join(cwd, found[0]!));
  return found[0] === undefined ? undefined : join(cwd, found[0]);
}

/**
 * Reads a config file: JSON is parsed, `.ts`/`.mjs`/`.js` are imported with jiti (which runs
 * them: a config file is the user's own code) and their default export taken. Anything that
 * throws, an unknown key or a wrong type is a one-line `CONFIG_INVALID` naming the file.
 *
 * @example
 * const { config } = await loadConfigFile('/srv/app/mfmig.config.ts');
 * config.database; // 'sqlite:./app.db'
 */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  const shown = basename(file);
  let raw: unknown;
  try {
    raw = extname(file) === '.json' ? JSON.parse(readFileSync(file, 'utf8')) : await importConfigModule(file);
  } catch (error) {
    throw invalid(`Config file ${shown} cannot be loaded: ${firstLine(error)}`, file, error);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(`Config file ${shown} must export an object (export default defineConfig({ ... }))`, file);
  }
  const parsed = mfmigConfigSchema().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join('.');
    const problem =
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (known: ${Object.keys(mfmigConfigSchema().shape).join(', ')})`
        : `${where || 'the config'}: ${issue.message}`;
    throw invalid(`Config file ${shown}: ${problem}`, file);
  }
  return { file, config: parsed.data as MfmigConfig };
}

/**
 * A path the config gives, made absolute against the config file's folder. URLs
 * (`sqlite:./a.db`) are read by the database URL parser first.
 */
export function configRelative(loaded: LoadedConfig, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(loaded.file), path);
}

async function importConfigModule(file: string): Promise<unknown> {
  const { createJiti } = await import('jiti');
  // the transpile cache runs what it holds: only a folder private to this user, as for migrations
  const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: userCacheDirectory('jiti') ?? false, alias: cliAlias() });
  const mod = (await jiti.import(file)) as { default?: unknown };
  // jiti answers `.default` with the whole module when there is none: ask for the key itself
  if (!Object.keys(mod).includes('default')) throw new Error('it has no default export (export default defineConfig({ ... }))');
  return mod.default;
}

/**
 * `@mfmig/cli` in a config resolves to the running CLI, so that a config written by `mfmig init`
 * loads where the package is not installed next to it (a global install, `npx`).
 */
function cliAlias(): Record<string, string> {
  try {
    const index = fileURLToPath(new URL('./index.js', import.meta.url));
    return existsSync(index) ? { '@mfmig/cli': index } : {};
  } catch {
    // not loaded from a file (a bundle in memory): a config then resolves @mfmig/cli itself
    return {};
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}

function invalid(message: string, file: string, cause?: unknown): MfmigError {
  return new MfmigError('CONFIG_INVALID', message, { cause, context: { file } });
}
