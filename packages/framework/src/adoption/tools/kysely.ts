import type { ToolHistoryReader } from './tool-history.js';
import { anyRow, toolRefusal } from './tool-history.js';

/**
 * Kysely: `kysely_migration(name, timestamp)`, one row per applied migration named after its
 * file (without extension), plus `kysely_migration_lock(id, is_locked)`. A held lock
 * (`is_locked = 1`: a Kysely run is going on, or crashed) is refused.
 *
 * @example
 * (await kyselyReader.read(conn)).applied; // [{ stem: '20240101120000_init', label: '20240101120000_init' }]
 */
export const kyselyReader: ToolHistoryReader = {
  tool: 'kysely',
  table: 'kysely_migration',
  ownTables: ['kysely_migration', 'kysely_migration_lock'],
  detect: (conn) => conn.hasTable('kysely_migration'),
  async read(conn) {
    const lock = await conn.hasTable('kysely_migration_lock');
    if (lock && (await anyRow(conn, 'SELECT 1 FROM kysely_migration_lock WHERE is_locked <> 0'))) {
      throw toolRefusal(
        'kysely',
        'kysely_migration_lock',
        'locked',
        'Kysely holds its migration lock (kysely_migration_lock): a Kysely run is going on or crashed; let it finish or release the lock first',
      );
    }
    const rows = await conn.query<{ name: string }>('SELECT name FROM kysely_migration ORDER BY name');
    const ownTables = lock ? ['kysely_migration', 'kysely_migration_lock'] : ['kysely_migration'];
    return { tool: 'kysely', table: 'kysely_migration', ownTables, applied: rows.map((r) => ({ stem: r.name, label: r.name })), repeatables: [] };
  },
};
