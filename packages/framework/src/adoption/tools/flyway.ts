import type { ToolHistory, ToolHistoryReader, ToolRecord, ToolRepeatable } from './tool-history.js';
import { isTrue, toolRefusal, versionText } from './tool-history.js';

interface FlywayRow {
  installed_rank: number;
  version: unknown;
  description: string;
  type: string;
  script: string;
  checksum: number | null;
  success: unknown;
}

/**
 * Flyway: `flyway_schema_history(installed_rank, version, description, type, script, checksum,
 * installed_by, installed_on, execution_time, success)`, read in `installed_rank` order. A failed
 * row (`success = 0`) is refused (`flyway repair` settles it). Versioned rows are applied, an
 * undo row (`UNDO_SQL`) or a `DELETE` marker takes its version back out, a `BASELINE` row means
 * every version up to it is applied, and rows without a version are repeatable migrations (the
 * last one of each script counts, with Flyway's CRC32 checksum).
 *
 * @example
 * (await flywayReader.read(conn)).applied; // [{ version: '1', label: '1' }, { version: '1.1', label: '1.1' }]
 */
export const flywayReader: ToolHistoryReader = {
  tool: 'flyway',
  table: 'flyway_schema_history',
  ownTables: ['flyway_schema_history'],
  detect: (conn) => conn.hasTable('flyway_schema_history'),
  async read(conn) {
    const rows = await conn.query<FlywayRow>(
      'SELECT installed_rank, version, description, type, script, checksum, success FROM flyway_schema_history ORDER BY installed_rank',
    );
    const failed = rows.find((r) => !isTrue(r.success) && r.type !== 'DELETE');
    if (failed) {
      const what = failed.version == null ? failed.script : `version ${versionText(failed.version)} (${failed.script})`;
      throw toolRefusal('flyway', 'flyway_schema_history', 'failed', `Flyway recorded ${what} as failed: repair the schema and run \`flyway repair\` first`, {
        installedRank: failed.installed_rank,
      });
    }
    const applied = new Map<string, ToolRecord>();
    const repeatables = new Map<string, ToolRepeatable>();
    let upTo: ToolRecord | undefined;
    for (const row of rows) {
      const type = String(row.type).toUpperCase();
      if (type === 'SCHEMA') continue;
      if (row.version == null) {
        repeatables.set(row.script, { script: row.script, checksum: row.checksum == null ? null : Number(row.checksum) });
        continue;
      }
      const version = versionText(row.version);
      if (type === 'BASELINE') upTo = { version, label: version };
      else if (type.startsWith('UNDO') || type === 'DELETE') applied.delete(version);
      else applied.set(version, { version, label: version });
    }
    const history: ToolHistory = {
      tool: 'flyway',
      table: 'flyway_schema_history',
      ownTables: ['flyway_schema_history'],
      applied: [...applied.values()],
      repeatables: [...repeatables.values()],
    };
    return upTo ? { ...history, upTo } : history;
  },
};

/**
 * Flyway's checksum of a script: the CRC32 of its lines, line breaks and a leading BOM left
 * out, as a signed 32-bit integer.
 *
 * @example
 * flywayChecksum('CREATE VIEW v AS SELECT 1;\n'); // the value Flyway stored for that script
 */
export function flywayChecksum(content: string, crc32: (data: Buffer) => number): number {
  const text = content.replace(/^\uFEFF/, '').replace(/\r\n|\r|\n/g, '');
  return crc32(Buffer.from(text, 'utf8')) | 0;
}
