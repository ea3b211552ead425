import type { Jiti } from 'jiti';
import { messageOf } from '../../errors/index.js';
import { userCacheDirectory } from '../../files/index.js';
import type { ConnectionSettings } from '../connection-settings.js';
import { type ModuleExports, metadataOnlyModule } from '../metadata-only-module.js';
import type { Migration, MigrationFn, MigrationMeta } from '../migration.js';
import { humanise, invalidMigration } from './load-context.js';

/** Loads `.ts`/`.js` migration modules; created on first use (jiti is slow to start) and shared. */
let jiti: Promise<Jiti> | undefined;

type ModuleBase = Pick<Migration, 'version' | 'name' | 'mvp' | 'file' | 'checksum' | 'dialectVariant'>;

/**
 * A `.ts`/`.js` migration: imported (which runs its top-level code), or read for its metadata
 * only when `modules` is `metadata`.
 *
 * @example
 * const m = await moduleMigration(text, '0002_tag_notes.ts', base, 'metadata');
 */
export async function moduleMigration(text: string, shown: string, base: ModuleBase, modules: 'import' | 'metadata'): Promise<Migration> {
  if (modules === 'metadata') return { ...fromExports(metadataOnlyModule(text, base), shown, base), metadataOnly: true };
  return fromExports(await importModule(base.file, shown), shown, base);
}

async function importModule(path: string, shown: string): Promise<ModuleExports> {
  try {
    // the transpile cache runs what it holds: only a folder private to this user, never jiti's default in $TMPDIR
    jiti ??= import('jiti').then(({ createJiti }) =>
      createJiti(import.meta.url, { moduleCache: false, interopDefault: true, fsCache: userCacheDirectory('jiti') ?? false }),
    );
    return (await (await jiti).import(path)) as ModuleExports;
  } catch (error) {
    throw invalidMigration(`Migration ${shown} cannot be loaded: ${messageOf(error).split('\n')[0]}`, path, error);
  }
}

function fromExports(mod: ModuleExports, shown: string, base: ModuleBase): Migration {
  const path = base.file;
  if (typeof mod.up !== 'function') throw invalidMigration(`Migration ${shown} does not export an up(db, ctx) function`, path);
  if (mod.down !== undefined && typeof mod.down !== 'function') throw invalidMigration(`Migration ${shown}: down must be a function`, path);
  const meta = (mod.meta ?? {}) as MigrationMeta;
  if (typeof meta !== 'object' || meta === null) throw invalidMigration(`Migration ${shown}: meta must be an object`, path);
  if (meta.foreignKeys !== undefined && meta.foreignKeys !== 'on' && meta.foreignKeys !== 'off') {
    throw invalidMigration(`Migration ${shown}: meta.foreignKeys must be "on" or "off"`, path);
  }
  if (meta.transaction !== undefined && meta.transaction !== 'immediate' && meta.transaction !== 'none') {
    throw invalidMigration(`Migration ${shown}: meta.transaction must be "immediate" or "none"`, path);
  }
  if (meta.legacyAlterTable !== undefined && typeof meta.legacyAlterTable !== 'boolean') {
    throw invalidMigration(`Migration ${shown}: meta.legacyAlterTable must be true or false`, path);
  }
  const transformations = mod.transformations ?? [];
  const settings: ConnectionSettings = {
    foreignKeys: meta.foreignKeys ?? (meta.legacyAlterTable === true ? 'off' : 'on'),
    legacyAlterTable: meta.legacyAlterTable === true,
  };
  if (!Array.isArray(transformations)) throw invalidMigration(`Migration ${shown}: transformations must be an array`, path);
  return {
    ...base,
    kind: 'module',
    description: typeof meta.description === 'string' ? meta.description : humanise(base.name),
    transaction: meta.transaction ?? 'immediate',
    foreignKeys: settings.foreignKeys,
    connection: { up: settings, down: settings },
    irreversible: meta.irreversible === true,
    up: mod.up as MigrationFn,
    down: mod.down as MigrationFn | undefined,
    transformations,
  };
}
