import type { ToolHistoryReader } from './tool-history.js';
import { columnsOf, versionText } from './tool-history.js';

/**
 * dbmate: `schema_migrations(version varchar(128) primary key)`, one row per applied
 * migration, versions as text (`'20240101120000'`). Told apart from golang-migrate's table of
 * the same name by its lack of a `dirty` column.
 *
 * @example
 * dbmateReader.read(adapter).applied; // [{ version: '20240101120000', label: '20240101120000' }]
 */
export const dbmateReader: ToolHistoryReader = {
  tool: 'dbmate',
  table: 'schema_migrations',
  ownTables: ['schema_migrations'],
  detect: (adapter) => adapter.tableExists('schema_migrations') && !columnsOf(adapter, 'schema_migrations').has('dirty'),
  read(adapter) {
    const rows = adapter.all<{ version: unknown }>('SELECT version FROM schema_migrations');
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
