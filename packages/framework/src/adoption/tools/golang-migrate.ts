import type { ToolHistoryReader } from './tool-history.js';
import { columnsOf, isTrue, toolRefusal, versionText } from './tool-history.js';

/**
 * golang-migrate: `schema_migrations(version uint64, dirty bool)` with one row, the current
 * version; every migration up to it is applied. A dirty row (a migration failed half-way) is
 * refused: the schema must be repaired by hand and the row set clean (`migrate force N`) first.
 *
 * @example
 * (await golangMigrateReader.read(conn)).upTo; // { version: '3', label: '3' }
 */
export const golangMigrateReader: ToolHistoryReader = {
  tool: 'golang-migrate',
  table: 'schema_migrations',
  ownTables: ['schema_migrations'],
  detect: async (conn) => (await conn.hasTable('schema_migrations')) && (await columnsOf(conn, 'schema_migrations')).has('dirty'),
  async read(conn) {
    const rows = await conn.query<{ version: unknown; dirty: unknown }>('SELECT version, dirty FROM schema_migrations');
    const history = { tool: 'golang-migrate' as const, table: 'schema_migrations', ownTables: ['schema_migrations'], applied: [], repeatables: [] };
    if (rows.length === 0) return history;
    if (rows.length > 1) {
      throw toolRefusal(
        'golang-migrate',
        'schema_migrations',
        'several-rows',
        `golang-migrate's schema_migrations holds ${rows.length} rows where it keeps one; the current version is unclear`,
      );
    }
    const version = versionText(rows[0]!.version);
    if (isTrue(rows[0]!.dirty)) {
      throw toolRefusal(
        'golang-migrate',
        'schema_migrations',
        'dirty',
        `golang-migrate marked version ${version} dirty (it failed half-way): repair the schema by hand, then set the row clean (\`migrate force ${version}\`) before mfmig adopts the database`,
        { version: Number(version) },
      );
    }
    return { ...history, upTo: { version, label: version } };
  },
};
