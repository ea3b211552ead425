import { type SqliteSchemaRow, sqliteConnectionOf } from '@mfmig/core';
import type { SchemaSource } from '../snapshot/schema-source.js';
import { layoutSql } from './layout-sql.js';

/** The first line of every schema file mfmig writes: how a file is recognised as one of ours. */
export const SCHEMA_DUMP_MARKER = '-- Schema written by mfmig';

/** An applied migration as the schema file lists it. */
export interface DumpedMigration {
  version: number;
  name: string;
  /** How the migration is labelled (`0007_add_incidents`); default: the version padded to 4 digits, `_`, the name. */
  label?: string;
}

const KIND_ORDER = ['table', 'index', 'view', 'trigger'] as const;

/**
 * The schema of a database as one SQL script in a stable form (the way dbmate writes
 * `schema.sql`, without an external binary): every table, index, view and trigger, each laid out
 * by `layoutSql`, tables first, then indexes, views and triggers, each kind sorted by name; objects
 * SQLite makes itself (`sqlite_*`, automatic indexes, virtual-table shadow tables) and mfmig's own
 * (`mfmig_*` tables and everything on them) are left out. It ends with the applied migrations as
 * comments (`mfmig baseline --to <the last one>` adopts a database made from the file). No
 * date, no path: two databases with the same schema and history give the same bytes.
 * `sqlite3 new.db < schema.sql` makes that schema. It reads the catalog through the connection
 * (`openSqlite`, a context's `connection`), or through a better-sqlite3 database or an adapter.
 *
 * @example
 * await dumpSchema(conn, [{ version: 1, name: 'create_items' }]);
 * // '-- Schema written by mfmig ...\n\nCREATE TABLE items (\n  id INTEGER PRIMARY KEY\n);\n\n-- Applied migrations ...\n-- 0001_create_items\n'
 */
export async function dumpSchema(db: SchemaSource, applied: readonly DumpedMigration[]): Promise<string> {
  const catalog = sqliteConnectionOf(db).introspector;
  const shadows = new Set((await catalog.tableList()).filter((t) => t.type === 'shadow').map((t) => t.name));
  const rows = (await catalog.catalog())
    .filter((r): r is SqliteSchemaRow & { sql: string } => r.sql !== null)
    .filter((r) => !/^sqlite_/i.test(r.name) && !/^mfmig_/i.test(r.tbl_name) && !/^mfmig_/i.test(r.name) && !shadows.has(r.name));
  const statements = KIND_ORDER.flatMap((kind) =>
    rows
      .filter((r) => r.type === kind)
      .sort((a, b) => compare(a.name, b.name))
      .map((r) => `${layoutSql(r.sql)};`),
  );
  const migrations = [...applied].sort((a, b) => a.version - b.version).map((m) => `-- ${m.label ?? `${String(m.version).padStart(4, '0')}_${m.name}`}`);
  return [
    `${SCHEMA_DUMP_MARKER} after every run that changes it; do not edit, it is replaced.`,
    '-- Load it into a new database with: sqlite3 new.db < schema.sql',
    '',
    ...statements.flatMap((s) => [s, '']),
    `-- Applied migrations (${migrations.length}); \`mfmig baseline --to <the last one>\` adopts a database made from this file:`,
    ...(migrations.length > 0 ? migrations : ['-- (none)']),
    '',
  ].join('\n');
}

/** Byte order of names, case-insensitive first, so that the order never depends on a locale. */
function compare(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
