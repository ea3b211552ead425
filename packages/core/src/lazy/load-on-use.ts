import { createRequire } from 'node:module';
import type * as KyselyModule from 'kysely';
import type * as ZodModule from 'zod';

// Resolved from this package, as a static import would be: the copy the installer placed for it.
const load = createRequire(import.meta.url);
let kysely: typeof KyselyModule | undefined;
let zod: typeof ZodModule | undefined;

/**
 * kysely, loaded the first time a code path needs it (a migration module's `db`, `adapter.kysely`)
 * rather than when the package is imported: validating or backing up never loads it. Synchronous,
 * because the getters that need it are.
 *
 * @example
 * const { Kysely, SqliteDialect } = kyselyModule();
 */
export function kyselyModule(): typeof KyselyModule {
  kysely ??= load('kysely') as typeof KyselyModule;
  return kysely;
}

/**
 * zod, loaded the first time a schema is built (configuration, milestone files, manifests) rather
 * than when the package is imported.
 *
 * @example
 * const schema = zodModule().z.object({ id: zodModule().z.string() });
 */
export function zodModule(): typeof ZodModule {
  zod ??= load('zod') as typeof ZodModule;
  return zod;
}
