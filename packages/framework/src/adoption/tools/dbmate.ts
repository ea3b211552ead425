import type { ToolHistoryReader } from './tool-history.js';
import { columnsOf, versionText } from './tool-history.js';

/**
 * dbmate: `schema_migrations(version varchar(128) primary key)`, one row per applied
 * migration, versions as text (`'20240101120000'`). Told apart from golang-migrate's table of
 * the same name by its lack of a `dirty` column.
 *
 * @example
 * (await dbmateReader.read(conn)).applied; // [{ version: '20240101120000', label: '20240101120000' }]
 */
export const dbmateReader: ToolHistoryReader = {
  tool: 'dbmate',
  table: 'schema_migrations',
  ownTables: ['schema_migrations'],
  detect: async (conn) => (await conn.hasTable('schema_migrations')) && !(await columnsOf(conn, 'schema_migrations')).has('dirty'),
  async read(conn) {
    const rows = await conn.query<{ version: unknown }>('SELECT version FROM schema_migrations');
    const versions = rows.map((r) => versionText(r.version)).sort((a, b) => Number(a) - Number(b));
    return {
      tool: 'dbmate',
      table: 'schema_migrations',
      ownTables: ['schema_migrations'],
      applied: versions.map((v) => ({ version: v, label: v })),
      repeatables: [],
    };
  },
};
