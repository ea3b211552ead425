import type { ToolHistoryReader } from './tool-history.js';
import { isTrue, toolRefusal, versionText } from './tool-history.js';

/**
 * sqlx: `_sqlx_migrations(version BIGINT PRIMARY KEY, description, installed_on, success,
 * checksum BLOB, execution_time)`. A row with `success = 0` (a migration that failed part-way)
 * is refused; sqlx itself refuses to go on from it.
 *
 * @example
 * (await sqlxReader.read(conn)).applied.map((r) => r.label); // ['20240101120000']
 */
export const sqlxReader: ToolHistoryReader = {
  tool: 'sqlx',
  table: '_sqlx_migrations',
  ownTables: ['_sqlx_migrations'],
  detect: (conn) => conn.hasTable('_sqlx_migrations'),
  async read(conn) {
    const rows = await conn.query<{ version: unknown; description: string; success: unknown }>(
      'SELECT version, description, success FROM _sqlx_migrations ORDER BY version',
    );
    const failed = rows.find((r) => !isTrue(r.success));
    if (failed) {
      const version = versionText(failed.version);
      throw toolRefusal(
        'sqlx',
        '_sqlx_migrations',
        'failed',
        `sqlx recorded migration ${version} (${failed.description}) as failed: repair it with sqlx first`,
        { version: Number(version) },
      );
    }
    const applied = rows.map((r) => ({ version: versionText(r.version), label: versionText(r.version) }));
    return { tool: 'sqlx', table: '_sqlx_migrations', ownTables: ['_sqlx_migrations'], applied, repeatables: [] };
  },
};
