import type { AlterTableCmd, Node } from 'libpg-query';
import { nodeAs, optionOn, relationName, walkNodes } from './postgres-lock-levels.js';

/**
 * What a statement does to the stored rows of one table, beyond changing the catalog:
 * - `rewrite`: every row copied into a new file, every index of the table rebuilt;
 * - `index`: one index built over the rows (`concurrent`: CONCURRENTLY, which reads the table twice);
 * - `scan`: every row read and checked (a constraint validated, SET NOT NULL);
 * - `insert`: rows written, read from the tables in `from` (none: a VALUES list);
 * - `update`, `delete`: the table's rows changed or removed (a WHERE clause is not weighed).
 */
export interface PgRowWork {
  kind: 'rewrite' | 'index' | 'scan' | 'insert' | 'update' | 'delete';
  /** The table, as written. */
  table: string;
  /** `insert`: the tables its rows are read from, as written. */
  from?: string[];
  /** `index`: built CONCURRENTLY. */
  concurrent?: boolean;
}

/** The risk facts that mean a whole-table rewrite, and those that mean a validating scan. */
const REWRITE_FACTS = new Set(['COLUMN_TYPE_REWRITE', 'VOLATILE_DEFAULT_REWRITE']);
const SCAN_FACTS = new Set(['SET_NOT_NULL_SCAN', 'CHECK_VALIDATES', 'FOREIGN_KEY_VALIDATES']);
// ALTER TABLE subcommands that copy the table into a new file, whatever its columns
const REWRITE_SUBCOMMANDS = new Set(['AT_SetLogged', 'AT_SetUnLogged', 'AT_SetTableSpace', 'AT_SetAccessMethod']);
const INDEXED_CONSTRAINTS = new Set(['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_EXCLUSION']);

/** The tables a query reads (its `RangeVar`s), names of its WITH queries left out, in name order. */
function readTables(query: unknown): string[] {
  const ctes = new Set<string>();
  const read: string[] = [];
  walkNodes(query, (type, body) => {
    if (type === 'CommonTableExpr' && typeof body.ctename === 'string') ctes.add(body.ctename);
    else if (type === 'RangeVar') read.push(relationName(body) ?? '');
  });
  return [...new Set(read.filter((name) => name !== '' && !ctes.has(name)))].sort();
}

/** The indexes an ALTER TABLE subcommand builds (ADD PRIMARY KEY / UNIQUE / EXCLUDE, also on a new column), and the table copies it makes. */
function alterWork(table: string, cmd: AlterTableCmd): PgRowWork[] {
  if (REWRITE_SUBCOMMANDS.has(cmd.subtype ?? '')) return [{ kind: 'rewrite', table }];
  if (cmd.subtype === 'AT_ValidateConstraint') return [{ kind: 'scan', table }];
  const constraints = cmd.subtype === 'AT_AddConstraint' ? [cmd.def] : cmd.subtype === 'AT_AddColumn' ? (nodeAs(cmd.def, 'ColumnDef')?.constraints ?? []) : [];
  return constraints
    .map((c) => nodeAs(c, 'Constraint'))
    .filter((c) => INDEXED_CONSTRAINTS.has(c?.contype ?? '') && c?.indexname === undefined)
    .map(() => ({ kind: 'index', table }));
}

/**
 * What a statement does to stored rows, read from its parse tree and the risk facts the analysis
 * found for it: rewrites and validating scans come from the facts (so a table the script created
 * has none), index builds, copies, updates and deletes from the tree. A table gets one rewrite
 * however many of its columns change. Catalog-only statements (CREATE TABLE, ADD COLUMN without a
 * volatile default, DROP, ...) give none.
 *
 * @example
 * rowWork(parseSync('INSERT INTO archive SELECT * FROM events').stmts[0].stmt, []);
 * // [{ kind: 'insert', table: 'archive', from: ['events'] }]
 */
export function rowWork(stmt: Node, facts: readonly { code: string; table?: string }[]): PgRowWork[] {
  const work: PgRowWork[] = [];
  const rewritten = new Set(facts.filter((f) => REWRITE_FACTS.has(f.code) && f.table !== undefined).map((f) => f.table!));
  const alter = nodeAs(stmt, 'AlterTableStmt');
  const altered = relationName(alter?.relation);
  for (const cmd of alter?.cmds ?? []) {
    for (const w of altered === undefined ? [] : alterWork(altered, nodeAs(cmd, 'AlterTableCmd') ?? {})) {
      if (w.kind === 'rewrite') rewritten.add(w.table);
      else work.push(w);
    }
  }
  for (const table of rewritten) work.push({ kind: 'rewrite', table });
  const scanned = facts.filter((f) => SCAN_FACTS.has(f.code) && f.table !== undefined && !rewritten.has(f.table));
  for (const fact of scanned) work.push({ kind: 'scan', table: fact.table! });
  const index = nodeAs(stmt, 'IndexStmt');
  const indexed = relationName(index?.relation);
  if (indexed !== undefined) work.push({ kind: 'index', table: indexed, ...(index?.concurrent === true ? { concurrent: true } : {}) });
  const cluster = relationName(nodeAs(stmt, 'ClusterStmt')?.relation);
  if (cluster !== undefined) work.push({ kind: 'rewrite', table: cluster });
  const vacuum = nodeAs(stmt, 'VacuumStmt');
  if (vacuum?.is_vacuumcmd === true && optionOn(vacuum.options, 'full')) {
    for (const rel of vacuum.rels ?? []) {
      const name = relationName(nodeAs(rel, 'VacuumRelation')?.relation);
      if (name !== undefined) work.push({ kind: 'rewrite', table: name });
    }
  }
  return [...work, ...dataWork(stmt)];
}

/** INSERT (from a query or VALUES), CREATE TABLE AS / SELECT INTO / CREATE MATERIALIZED VIEW with data, UPDATE, DELETE. */
function dataWork(stmt: Node): PgRowWork[] {
  const insert = nodeAs(stmt, 'InsertStmt');
  const inserted = relationName(insert?.relation);
  if (inserted !== undefined) return [{ kind: 'insert', table: inserted, from: readTables(insert) }];
  const created = nodeAs(stmt, 'CreateTableAsStmt');
  const into = relationName(created?.into?.rel);
  if (into !== undefined && created?.into?.skipData !== true) return [{ kind: 'insert', table: into, from: readTables(created?.query) }];
  const select = nodeAs(stmt, 'SelectStmt');
  const selectedInto = relationName(select?.intoClause?.rel);
  if (selectedInto !== undefined) return [{ kind: 'insert', table: selectedInto, from: readTables(select) }];
  const update = relationName(nodeAs(stmt, 'UpdateStmt')?.relation);
  if (update !== undefined) return [{ kind: 'update', table: update }];
  const deleted = relationName(nodeAs(stmt, 'DeleteStmt')?.relation);
  return deleted === undefined ? [] : [{ kind: 'delete', table: deleted }];
}
