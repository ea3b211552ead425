import { MfmigError } from '../errors/index.js';
import { type Direction, type Migration, type MigrationFn, migrationLabel } from './migration.js';
import { readStaticModuleMeta } from './static-module-meta.js';

/** What a `.ts`/`.js` migration module exports, as the loader reads it. */
export interface ModuleExports {
  up: unknown;
  down: unknown;
  meta: unknown;
  transformations: unknown;
}

/**
 * The exports of a migration module as far as they are known without importing it: `meta`
 * from a static reading of its source ({@link readStaticModuleMeta}; empty when it cannot be
 * read that way), no transformations (unknown), and `up`/`down` that throw when anything tries
 * to run them. Nothing of the module is evaluated.
 *
 * @example
 * const mod = metadataOnlyModule("export const meta = { description: 'Add notes' };", { version: 7, name: 'add_notes', file: '/m/0007_add_notes.ts' });
 * mod.meta; // { description: 'Add notes' }
 */
export function metadataOnlyModule(source: string, migration: Pick<Migration, 'version' | 'name' | 'file'>): ModuleExports {
  const stub =
    (direction: Direction): MigrationFn =>
    () => {
      throw codeNotLoaded(migration, direction);
    };
  return { up: stub('up'), down: stub('down'), meta: readStaticModuleMeta(source) ?? {}, transformations: [] };
}

/**
 * Refuses to run migrations whose code was not loaded (`metadataOnly`), before anything of a
 * run happens.
 *
 * @example
 * assertCodeLoaded(steps, 'up'); // throws INTERNAL for a module read for its metadata only
 */
export function assertCodeLoaded(migrations: readonly Migration[], direction: Direction): void {
  const first = migrations.find((m) => m.metadataOnly === true);
  if (first) throw codeNotLoaded(first, direction);
}

function codeNotLoaded(m: Pick<Migration, 'version' | 'name' | 'file'>, direction: Direction): MfmigError {
  return new MfmigError(
    'INTERNAL',
    `Migration ${migrationLabel(m)} was read for its metadata only (its code was not loaded), so its ${direction} cannot run; load the migrations with their modules to run them`,
    { context: { version: m.version, migration: m.name, direction, file: m.file } },
  );
}
