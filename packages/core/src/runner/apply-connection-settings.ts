import type { DatabaseAdapter } from '../adapter/index.js';
import type { ConnectionSettings } from '../migration/index.js';

/**
 * Applies a migration's connection settings and returns the function that puts back what was
 * there before. Foreign keys are only switched outside a transaction, where SQLite honours it
 * (inside one, `settings.foreignKeys` must be what is already on); `legacy_alter_table` anywhere. The restore also undoes
 * a `PRAGMA foreign_keys` or `legacy_alter_table` the migration itself ran outside a transaction.
 *
 * @example
 * const restore = applyConnectionSettings(adapter, { foreignKeys: 'off', legacyAlterTable: false });
 * try { ... } finally { restore(); }
 */
export function applyConnectionSettings(adapter: DatabaseAdapter, settings: ConnectionSettings): () => void {
  const before = { foreignKeys: adapter.foreignKeysEnabled(), legacy: legacyAlterTable(adapter) };
  if (settings.foreignKeys === 'off' && before.foreignKeys) adapter.setForeignKeys(false);
  if (settings.legacyAlterTable && !before.legacy) adapter.run('PRAGMA legacy_alter_table = ON');
  return () => {
    if (!adapter.isOpen) return;
    if (legacyAlterTable(adapter) !== before.legacy) adapter.run(`PRAGMA legacy_alter_table = ${before.legacy ? 'ON' : 'OFF'}`);
    if (!adapter.inTransaction && adapter.foreignKeysEnabled() !== before.foreignKeys) adapter.setForeignKeys(before.foreignKeys);
  };
}

function legacyAlterTable(adapter: DatabaseAdapter): boolean {
  return Number(adapter.value('PRAGMA legacy_alter_table')) === 1;
}
