import type { ForeignKeyInfo, TableInfo } from '../dialect.js';
import { OWNED_SEQUENCES_SQL, qualifiedName, quoteIdent } from './postgres-catalog-queries.js';
import type { PostgresConnection } from './postgres-connection.js';

/** How many rows of one table a sample copied. */
export interface SampledTable {
  table: string;
  rows: number;
  /** Why nothing was copied, when the copy failed (the rehearsal goes on without those rows). */
  error?: string;
}

/** Columns that take a value on insert (not generated) of the tables (not partitions) of schema `$1`. */
const INSERTABLE_COLUMNS_SQL = `SELECT c.relname AS table_name, a.attname AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = $1 AND NOT starts_with(c.relname, 'mfmig_')
ORDER BY c.relname, a.attnum`;

async function insertableColumns(conn: PostgresConnection, schema: string): Promise<Map<string, string[]>> {
  const columns = new Map<string, string[]>();
  for (const row of await conn.query<{ table_name: string; name: string }>(INSERTABLE_COLUMNS_SQL, [schema])) {
    columns.set(row.table_name, [...(columns.get(row.table_name) ?? []), row.name]);
  }
  return columns;
}

/** Tables with the tables they reference first; tables in a reference cycle keep their order at the end. */
function parentsFirst(tables: TableInfo[]): TableInfo[] {
  const names = new Set(tables.map((t) => t.name));
  const ordered: TableInfo[] = [];
  const placed = new Set<string>();
  let rest = tables;
  while (rest.length > 0) {
    const ready = rest.filter((t) =>
      t.foreignKeys.every((fk) => fk.referencedTable === t.name || !names.has(fk.referencedTable) || placed.has(fk.referencedTable)),
    );
    const next = ready.length > 0 ? ready : rest;
    for (const t of next) placed.add(t.name);
    ordered.push(...next);
    rest = rest.filter((t) => !placed.has(t.name));
  }
  return ordered;
}

/** `src` rows whose key in `fk` is NULL or names a row the sample already copied. */
function parentCopied(fk: ForeignKeyInfo, scratch: string): string {
  const anyNull = fk.columns.map((c) => `src.${quoteIdent(c)} IS NULL`);
  const match = fk.columns.map((c, i) => `p.${quoteIdent(fk.referencedColumns[i]!)} = src.${quoteIdent(c)}`).join(' AND ');
  return `(${[...anyNull, `EXISTS (SELECT 1 FROM ${qualifiedName(scratch, fk.referencedTable)} p WHERE ${match})`].join(' OR ')})`;
}

/**
 * Copies up to `rows` rows of each table of schema `from` that the scratch schema has too, on
 * the scratch schema's session: the columns both sides have, the first rows by primary key,
 * parent tables before their children, and of a child only rows whose parents were copied, so the
 * sample keeps its foreign keys. Triggers do not fire where the session may set
 * `session_replication_role` (a superuser); identity values are copied as they are
 * (`OVERRIDING SYSTEM VALUE`), and owned sequences are moved past the copied values.
 *
 * @example
 * const sampled = await copySample(scratch, 'public', 'mfmig_rehearsal_1f2e', 500);
 */
export async function copySample(conn: PostgresConnection, from: string, scratch: string, rows: number): Promise<SampledTable[]> {
  const limit = Math.max(0, Math.floor(rows));
  const source = await insertableColumns(conn, from);
  const target = await insertableColumns(conn, scratch);
  const tables = (await conn.introspector.tables()).filter((t) => source.has(t.name) && target.has(t.name));
  const replica = await conn.execute('SET session_replication_role = replica').then(
    () => true,
    () => false,
  );
  const sampled: SampledTable[] = [];
  try {
    for (const t of parentsFirst(tables)) {
      const shared = target.get(t.name)!.filter((c) => source.get(t.name)!.includes(c));
      const copied = new Set(sampled.filter((s) => !s.error).map((s) => s.table));
      const filters = t.foreignKeys.filter((fk) => fk.referencedTable !== t.name && copied.has(fk.referencedTable)).map((fk) => parentCopied(fk, scratch));
      const list = shared.map(quoteIdent).join(', ');
      const sql =
        `INSERT INTO ${qualifiedName(scratch, t.name)} (${list}) OVERRIDING SYSTEM VALUE SELECT ${shared.map((c) => `src.${quoteIdent(c)}`).join(', ')} ` +
        `FROM ${qualifiedName(from, t.name)} src${filters.length ? ` WHERE ${filters.join(' AND ')}` : ''}` +
        `${t.primaryKey.length ? ` ORDER BY ${t.primaryKey.map((c) => `src.${quoteIdent(c)}`).join(', ')}` : ''} LIMIT ${limit}`;
      try {
        sampled.push({ table: t.name, rows: shared.length === 0 ? 0 : await conn.execute(sql) });
      } catch (error) {
        sampled.push({ table: t.name, rows: 0, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    if (replica) await conn.execute('SET session_replication_role = DEFAULT');
  }
  await moveSequences(conn, scratch);
  return sampled;
}

/** Moves each sequence a column owns past the largest value the sample copied into it. */
async function moveSequences(conn: PostgresConnection, scratch: string): Promise<void> {
  const owned = await conn.query<{ table_name: string; column_name: string; sequence_name: string }>(OWNED_SEQUENCES_SQL, [scratch]);
  for (const s of owned) {
    const max = `(SELECT max(${quoteIdent(s.column_name)}) FROM ${qualifiedName(scratch, s.table_name)})`;
    await conn.query(`SELECT setval($1::regclass, ${max}) WHERE ${max} IS NOT NULL`, [qualifiedName(scratch, s.sequence_name)]);
  }
}
