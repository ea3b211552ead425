import { splitSqlStatements, stripSqlComments } from '@mfmig/core';

/** What the text of a down migration says it drops or writes. */
export interface DownSqlAnalysis {
  droppedTables: string[];
  droppedColumns: { table: string; column: string }[];
  /** Tables whose rows the SQL deletes or changes (DELETE, UPDATE, REPLACE). */
  writtenTables: string[];
}

const NAME = String.raw`("(?:[^"]|"")+"|\x60(?:[^\x60]|\x60\x60)+\x60|\[[^\]]+\]|[A-Za-z_][\w$]*)`;
const QUALIFIED = String.raw`(?:${NAME}\s*\.\s*)?${NAME}`;
const DROP_TABLE = new RegExp(String.raw`^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?${QUALIFIED}`, 'i');
const DROP_COLUMN = new RegExp(String.raw`^ALTER\s+TABLE\s+${QUALIFIED}\s+DROP\s+(?:COLUMN\s+)?${NAME}`, 'i');
const DELETE = new RegExp(String.raw`^(?:WITH\b[\s\S]*?\)\s*)?DELETE\s+FROM\s+${QUALIFIED}`, 'i');
const UPDATE = new RegExp(String.raw`^(?:WITH\b[\s\S]*?\)\s*)?UPDATE\s+(?:OR\s+\w+\s+)?${QUALIFIED}`, 'i');
const REPLACE = new RegExp(String.raw`^(?:REPLACE|INSERT\s+OR\s+REPLACE)\s+INTO\s+${QUALIFIED}`, 'i');

/**
 * Reads a down migration's SQL for the tables and columns it drops and the tables it writes.
 * A fallback and a complement to running the down in a savepoint: it cannot see cascades.
 *
 * @example
 * analyseDownSql('DROP TABLE incidents; ALTER TABLE kb_entries DROP COLUMN incident_id;');
 * // { droppedTables: ['incidents'], droppedColumns: [{ table: 'kb_entries', column: 'incident_id' }], writtenTables: [] }
 */
export function analyseDownSql(sql: string): DownSqlAnalysis {
  const result: DownSqlAnalysis = { droppedTables: [], droppedColumns: [], writtenTables: [] };
  for (const statement of splitSqlStatements(sql)) {
    const text = stripSqlComments(statement).trim();
    let m = DROP_TABLE.exec(text);
    if (m) {
      result.droppedTables.push(unquote(m[2]!));
      continue;
    }
    m = DROP_COLUMN.exec(text);
    if (m) {
      result.droppedColumns.push({ table: unquote(m[2]!), column: unquote(m[3]!) });
      continue;
    }
    m = DELETE.exec(text) ?? UPDATE.exec(text) ?? REPLACE.exec(text);
    if (m) result.writtenTables.push(unquote(m[2]!));
  }
  result.writtenTables = [...new Set(result.writtenTables)];
  return result;
}

/** SQL strings a module migration's declared transformations run when reversed. */
export function reverseSqlOf(transformations: unknown[]): string[] {
  const out: string[] = [];
  for (const t of transformations) {
    if (typeof t !== 'object' || t === null) continue;
    const reverse = (t as { reverse?: unknown }).reverse;
    if (typeof reverse === 'string') out.push(reverse);
    else if (Array.isArray(reverse)) for (const r of reverse) if (typeof r === 'string') out.push(r);
  }
  return out;
}

/** Tables that declared transformations write (their targets): reversing them may delete or change rows there. */
export function transformationTables(transformations: unknown[]): string[] {
  const out = new Set<string>();
  for (const t of transformations) {
    if (typeof t !== 'object' || t === null) continue;
    const target = (t as Record<string, unknown>).targetTable;
    if (typeof target === 'string') out.add(target);
  }
  return [...out];
}

function unquote(name: string): string {
  const first = name[0];
  if (first === '"') return name.slice(1, -1).replace(/""/g, '"');
  if (first === '`') return name.slice(1, -1).replace(/``/g, '`');
  if (first === '[') return name.slice(1, -1);
  return name;
}
