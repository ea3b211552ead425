import type { ToolHistoryReader } from './tool-history.js';
import { anyRow, toolRefusal } from './tool-history.js';

/**
 * knex: `knex_migrations(id, name, batch, migration_time)`, one row per applied migration named
 * by its file name with extension (`20240101120000_init.js`), plus `knex_migrations_lock(index,
 * is_locked)`. A held lock is refused. Names are matched by file stem.
 *
 * @example
 * (await knexReader.read(conn)).applied; // [{ stem: '20240101120000_init', label: '20240101120000_init.js' }]
 */
export const knexReader: ToolHistoryReader = {
  tool: 'knex',
  table: 'knex_migrations',
  ownTables: ['knex_migrations', 'knex_migrations_lock'],
  detect: (conn) => conn.hasTable('knex_migrations'),
  async read(conn) {
    const lock = await conn.hasTable('knex_migrations_lock');
    if (lock && (await anyRow(conn, 'SELECT 1 FROM knex_migrations_lock WHERE is_locked <> 0'))) {
      throw toolRefusal(
        'knex',
        'knex_migrations_lock',
        'locked',
        'knex holds its migration lock (knex_migrations_lock): a knex run is going on or crashed; let it finish or release the lock first',
      );
    }
    const rows = await conn.query<{ name: string }>('SELECT name FROM knex_migrations ORDER BY id');
    const applied = rows.map((r) => ({ stem: r.name.replace(/\.(c|m)?[jt]s$|\.sql$/i, ''), label: r.name }));
    const ownTables = lock ? ['knex_migrations', 'knex_migrations_lock'] : ['knex_migrations'];
    return { tool: 'knex', table: 'knex_migrations', ownTables, applied, repeatables: [] };
  },
};
