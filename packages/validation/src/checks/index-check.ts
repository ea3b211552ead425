import { finding } from '../report/finding-codes.js';
import type { ValidationFinding } from '../report/types.js';
import { type IndexInfo, type TableInfo, normaliseSql } from '../schema/schema-model.js';
import { type CheckEnv, rowidAlias } from './check-env.js';

/** A PostgreSQL cast as it prints them, lower-cased: `::text`, `::character varying`, `::bigint[]`. */
const PG_CAST = /::\s*(?:character varying|double precision|timestamp with(?:out)? time zone|"[^"]+"|[a-z_][a-z0-9_]*)(?:\[\])?/g;

/**
 * True when `columns` (in any order) are the leading columns of an index of `table` that a
 * lookup `col = ?` can use: a full index, a partial one on `col IS NOT NULL` (or on the
 * `where` given), the WITHOUT ROWID primary key, or the INTEGER PRIMARY KEY.
 *
 * @example
 * hasLeadingIndex(table, ['entry_id']); // true when kb_feedback has idx_kb_feedback_entry
 */
export function hasLeadingIndex(table: TableInfo, columns: string[], options: { ordered?: boolean; unique?: boolean; where?: string } = {}): boolean {
  const want = columns.map((c) => c.toLowerCase());
  if (want.length === 1 && rowidAlias(table)?.toLowerCase() === want[0]) return true;
  // quotes, grouping and casts aside: PostgreSQL prints every operand of a predicate in parentheses and
  // casts what it compares (`((kind)::text <> 'draft'::text)`); SQLite has no `::`
  const bare = (sql: string | null | undefined) =>
    normaliseSql(sql ?? '')
      .replace(PG_CAST, '')
      .replace(/["()]/g, '');
  return table.indexes.some((index) => {
    if (options.unique && !index.unique) return false;
    const servesLookup = want.length === 1 && bare(index.where) === `${want[0]} is not null`;
    if (index.partial && !servesLookup && !(options.where !== undefined && bare(index.where) === bare(options.where))) return false;
    const lead = index.columns.slice(0, want.length).map((c) => c.toLowerCase());
    if (lead.length < want.length) return false;
    return options.ordered ? lead.every((c, i) => c === want[i]) : want.every((c) => lead.includes(c));
  });
}

/**
 * Foreign key columns without an index (`INDEX_FK_UNINDEXED`): deleting or updating a parent
 * row then scans the whole child table. Only child tables of at least `largeTableRows` rows
 * are reported: below that the scan is cheap and the index would be noise.
 *
 * @example
 * (await checkForeignKeyIndexes(env)).map((f) => f.location.table);
 */
export async function checkForeignKeyIndexes(env: CheckEnv): Promise<ValidationFinding[]> {
  const out: ValidationFinding[] = [];
  for (const table of env.schema.tables.values()) {
    for (const fk of table.foreignKeys) {
      if (hasLeadingIndex(table, fk.from)) continue;
      const rows = await env.rowCount(table.name);
      if (rows < env.largeTableRows) continue;
      const cols = fk.from.join(', ');
      out.push(
        finding(
          'INDEX_FK_UNINDEXED',
          `Foreign key column(s) ${table.name}(${cols}) -> ${fk.parent} have no index: each delete or key change in ${fk.parent} scans all ${rows} rows of ${table.name}`,
          `CREATE INDEX "idx_${table.name}_${fk.from.join('_')}" ON "${table.name}" (${fk.from.map((c) => `"${c}"`).join(', ')})`,
          { table: table.name, column: fk.from[0] },
          { count: rows },
        ),
      );
    }
  }
  return out;
}

/**
 * Indexes made redundant by another index of the same table whose leading keys are the same
 * (`INDEX_REDUNDANT`): they cost space and write time and serve no query the other cannot.
 * Unique indexes are never reported (they enforce a constraint).
 *
 * @example
 * checkRedundantIndexes(env);
 */
export function checkRedundantIndexes(env: CheckEnv): ValidationFinding[] {
  const out: ValidationFinding[] = [];
  for (const table of env.schema.tables.values()) {
    for (const a of table.indexes) {
      if (a.origin !== 'c' || a.unique) continue;
      const cover = table.indexes.find((b) => b !== a && covers(b, a));
      if (!cover) continue;
      out.push(
        finding(
          'INDEX_REDUNDANT',
          `Index ${a.name} on ${table.name}(${a.columns.join(', ')}) is redundant: ${cover.name} starts with the same key${a.keys.length > 1 ? 's' : ''}`,
          `DROP INDEX "${a.name}" (queries can use ${cover.name})`,
          { table: table.name, index: a.name },
        ),
      );
    }
  }
  return out;
}

function covers(b: IndexInfo, a: IndexInfo): boolean {
  if ((a.where ?? '') !== (b.where ?? '')) return false;
  if (b.keys.length < a.keys.length || a.columns.includes('<expr>')) return false;
  if (!a.keys.every((k, i) => k === b.keys[i])) return false;
  return b.keys.length > a.keys.length || b.unique || b.origin !== 'c' || b.name < a.name;
}
