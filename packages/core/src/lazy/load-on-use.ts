import { createRequire } from 'node:module';
import type * as KyselyModule from 'kysely';
import type * as ZodModule from 'zod';

/** How kysely and zod are loaded on first use; see {@link useModuleLoaders}. */
export interface ModuleLoaders {
  kysely?: () => typeof KyselyModule;
  zod?: () => typeof ZodModule;
}

// Resolved from this package, as a static import would be: the copy the installer placed for it.
const fromHere = createRequire(import.meta.url);
let loaders: ModuleLoaders = {};
let kysely: typeof KyselyModule | undefined;
let zod: typeof ZodModule | undefined;

/**
 * Replaces how kysely and zod are loaded, before their first use. For a program bundled with
 * its own copies (the CLI's command): a literal `require('kysely')` there lets the bundler find
 * and keep them, still loaded only when needed.
 *
 * @example
 * useModuleLoaders({ kysely: () => require('kysely'), zod: () => require('zod') });
 */
export function useModuleLoaders(next: ModuleLoaders): void {
  loaders = { ...loaders, ...next };
}

/**
 * kysely, loaded the first time a code path needs it (a migration module's `db`, `adapter.kysely`)
 * rather than when the package is imported: validating or backing up never loads it. Synchronous,
 * because the getters that need it are.
 *
 * @example
 * const { Kysely, SqliteDialect } = kyselyModule();
 */
export function kyselyModule(): typeof KyselyModule {
  kysely ??= loaders.kysely?.() ?? (fromHere('kysely') as typeof KyselyModule);
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
  zod ??= loaders.zod?.() ?? (fromHere('zod') as typeof ZodModule);
  return zod;
}
