import { restrictToBatch } from '../../adapter/batch-range.js';
import { type SqlToken, splitSqlList, tokenizeSql } from '../../adapter/sql-tokens.js';
import { statementTarget } from '../../adapter/statement-target.js';

/** A table rebuild found in a migration's statements (see {@link findRebuild}). */
export interface RebuildPattern {
  /** The table rebuilt (it keeps its name). */
  table: string;
  /** The new table, renamed to `table` at the end. */
  shadow: string;
  createShadow: string;
  /** `INSERT INTO shadow (...) SELECT ... FROM table ...`: the copy, also run per batch and per changed row. */
  copy: string;
  /** Statements before the rebuild (dropping views or triggers that read the table): run in the swap. */
  before: string[];
  /** `CREATE INDEX ... ON table` after the rename: built on the shadow before the copy. */
  indexes: string[];
  /** Index names of `indexes`. */
  indexNames: string[];
  /** Every other statement after the rename (views, triggers): run in the swap. */
  after: string[];
}

const DEFERRABLE_BEFORE = new Set(['DROP VIEW', 'DROP TRIGGER', 'DROP INDEX']);

/**
 * Recognises the create-first table rebuild that SQLite's documentation prescribes (and
 * mfmig's own 0009 uses): `CREATE TABLE new`, `INSERT INTO new (cols) SELECT ... FROM old`,
 * `DROP TABLE old`, `ALTER TABLE new RENAME TO old`, with only view, trigger or index drops
 * before it and anything after it. Returns null for any other shape: such a migration runs as
 * written, in one transaction.
 *
 * The copy must name its columns and pass the table's INTEGER PRIMARY KEY through unchanged,
 * so that each row keeps its rowid in the new table; `primaryKey` is that column's name. It must
 * read the old table one row at a time (no aggregate, `DISTINCT` or `GROUP BY`), so that its
 * batches copy what the whole statement would.
 *
 * @example
 * findRebuild(statements, 'id')?.table; // 'kb_entries'
 */
export function findRebuild(given: string[], primaryKeyOf: (table: string) => string | null): RebuildPattern | null {
  const shape = shapeOf(given);
  if (!shape) return null;
  const { statements, targets, table, shadow, createAt, copyAt, renameAt } = shape;
  const key = primaryKeyOf(table);
  if (key === null || primaryKeyOf(shadow) !== null) return null;
  if (!copiesKeyThrough(statements[copyAt]!, table, key) || restrictToBatch(statements[copyAt]!, table, key) === null) return null;
  const indexes: string[] = [];
  const indexNames: string[] = [];
  const after: string[] = [];
  statements.slice(renameAt + 1).forEach((sql, i) => {
    const t = targets[renameAt + 1 + i]!;
    if (t.verb === 'CREATE INDEX' && same(indexedTable(sql), table) && t.table) {
      indexes.push(sql);
      indexNames.push(t.table);
    } else after.push(sql);
  });
  return { table, shadow, createShadow: statements[createAt]!, copy: statements[copyAt]!, before: statements.slice(0, createAt), indexes, indexNames, after };
}

/**
 * True when the statements have the rebuild's shape, read from their text alone: what
 * {@link findRebuild} needs before it asks the database about keys. Most migrations do not, and
 * the runner then reads nothing more for them.
 *
 * @example
 * hasRebuildShape(['CREATE TABLE t (id INTEGER)']); // false
 */
export function hasRebuildShape(given: string[]): boolean {
  return shapeOf(given) !== null;
}

function shapeOf(given: string[]) {
  const statements = given.map((s) => s.trim().replace(/;+$/, '').trim());
  const targets = statements.map(statementTarget);
  const renames = targets.flatMap((t, i) => (t.verb === 'ALTER TABLE' && t.renamedTo ? [i] : []));
  if (renames.length !== 1) return null;
  const renameAt = renames[0]!;
  const shadow = targets[renameAt]!.table!;
  const table = targets[renameAt]!.renamedTo!;
  const createAt = targets.findIndex((t) => t.verb === 'CREATE TABLE' && same(t.table, shadow));
  const copyAt = createAt + 1;
  const dropAt = copyAt + 1;
  if (createAt < 0 || renameAt !== dropAt + 1) return null;
  if (targets[copyAt]?.verb !== 'INSERT' || !same(targets[copyAt]!.table, shadow) || targets[copyAt]!.conflict) return null;
  if (targets[dropAt]?.verb !== 'DROP TABLE' || !same(targets[dropAt]!.table, table)) return null;
  if (!targets.slice(0, createAt).every((t) => DEFERRABLE_BEFORE.has(t.verb))) return null;
  return { statements, targets, table, shadow, createAt, copyAt, renameAt };
}

/** The table of `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (...)`. */
export function indexedTable(sql: string): string | undefined {
  const tokens = tokenizeSql(sql);
  const on = tokens.findIndex((t) => t.depth === 0 && t.kind === 'word' && t.value === 'ON');
  return on < 0 ? undefined : nameOf(tokens[on + 1]);
}

/**
 * True when `INSERT INTO x (c1, c2, ...) SELECT e1, e2, ... FROM table` has the key column at
 * the same place in both lists, as a bare (or `table.`-qualified) column: each row keeps its key.
 */
function copiesKeyThrough(sql: string, table: string, key: string): boolean {
  const tokens = tokenizeSql(sql);
  const open = tokens.findIndex((t) => t.text === '(');
  const select = tokens.findIndex((t) => t.depth === 0 && t.kind === 'word' && t.value === 'SELECT');
  const from = tokens.findIndex((t, i) => i > select && t.depth === 0 && t.kind === 'word' && t.value === 'FROM');
  if (open < 0 || select < open || from < 0) return false;
  const columns = splitSqlList(
    tokens.slice(
      open + 1,
      tokens.findIndex((t, i) => i > open && t.text === ')' && t.depth === 0),
    ),
  );
  const expressions = splitSqlList(tokens.slice(select + 1, from));
  const at = columns.findIndex((c) => c.length === 1 && same(nameOf(c[0]), key));
  if (at < 0 || expressions.length !== columns.length) return false;
  const e = expressions[at]!;
  const bare = e.length === 1 && same(nameOf(e[0]), key);
  const qualified = e.length === 3 && same(nameOf(e[0]), table) && e[1]!.text === '.' && same(nameOf(e[2]), key);
  return bare || qualified;
}

function same(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

function nameOf(token: SqlToken | undefined): string | undefined {
  if (token?.kind === 'identifier') return token.value;
  if (token?.kind === 'word') return token.text;
  return undefined;
}
