import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MfmigError } from '@mfmig/core';

/**
 * Loads `.env` from `cwd` into `process.env` with Node's own `process.loadEnvFile`, which never
 * replaces a variable already set (the environment beats `.env`, even an empty value). Returns
 * the variables `.env` added: the `.env` layer of the settings. A `.env` that cannot be read is
 * a one-line `CONFIG_INVALID`.
 *
 * @example
 * const fromDotEnv = loadDotEnv(process.cwd()); // { DATABASE_URL: 'sqlite:./app.db' }
 */
export function loadDotEnv(cwd: string): Record<string, string> {
  const file = join(cwd, '.env');
  if (!existsSync(file)) return {};
  const before = new Set(Object.keys(process.env));
  try {
    process.loadEnvFile(file);
  } catch (error) {
    throw new MfmigError('CONFIG_INVALID', `.env in ${cwd} cannot be read: ${(error as Error).message.split('\n')[0]}`, { cause: error, context: { file } });
  }
  const added: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (!before.has(key) && value !== undefined) added[key] = value;
  return added;
}
