import type * as Pg from 'libpg-query';
import type { AlterTableCmd, Constraint, Node, RangeVar } from 'libpg-query';

// How PostgreSQL 15 runs each statement: the table-level locks it takes, and whether it refuses a transaction block.

/** The table-level lock modes of PostgreSQL, weakest first: each conflicts with at least the modes the previous one conflicts with. */
export const PG_LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;

/** A table-level lock mode of PostgreSQL (explicit-locking.html). */
export type PgLockMode = (typeof PG_LOCK_MODES)[number];

/** One lock a statement takes: the relation as written (schema-qualified when it is) and the mode. */
export interface PgLock {
  table: string;
  mode: PgLockMode;
}

/** The name of every node type of the parse tree (`IndexStmt`, `RangeVar`, ...). */
export type PgNodeType = Node extends infer N ? (N extends unknown ? keyof N : never) : never;
/** The body of a node of that type. */
export type PgNodeBody<K extends PgNodeType> = Extract<Node, Record<K, unknown>>[K];

/**
 * The body of a parse node when it has the given type.
 *
 * @example
 * nodeAs(stmt, 'IndexStmt')?.concurrent // true for CREATE INDEX CONCURRENTLY
 */
export function nodeAs<K extends PgNodeType>(node: Node | undefined, type: K): PgNodeBody<K> | undefined {
  return node !== undefined && type in node ? (node as unknown as Record<K, PgNodeBody<K>>)[type] : undefined;
}

/** A relation's name as written: `app.users` or `users`. */
export function relationName(relation: RangeVar | undefined): string | undefined {
  if (relation?.relname === undefined) return undefined;
  return relation.schemaname === undefined ? relation.relname : `${relation.schemaname}.${relation.relname}`;
}

/** A dotted name given as a list of `String` nodes (`DROP TABLE app.users`). */
export function dottedName(parts: Node[] | undefined): string {
  return (parts ?? []).map((part) => nodeAs(part, 'String')?.sval ?? '').join('.');
}

/**
 * Visits every node of a tree, depth first, without recursion (a deeply nested expression must not
 * overflow the stack): the visitor gets each node's type and body.
 *
 * @example
 * walkNodes(stmt, (type, body) => { if (type === 'FuncCall') calls.push(body); });
 */
export function walkNodes(tree: unknown, visit: (type: string, body: Record<string, unknown>) => void): void {
  const pending: unknown[] = [tree];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) pending.push(...value);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        if (typeof child !== 'object' || child === null) continue;
        if (!Array.isArray(child) && /^[A-Z]/.test(key)) visit(key, child as Record<string, unknown>);
        pending.push(child);
      }
    }
  }
}

/** The foreign keys of a column (`REFERENCES`) or table constraint list. */
export function foreignKeys(constraints: Node[] | undefined): Constraint[] {
  return (constraints ?? []).map((c) => nodeAs(c, 'Constraint')).filter((c): c is Constraint => c?.contype === 'CONSTR_FOREIGN');
}

const AE = 'ACCESS EXCLUSIVE';
const SUE = 'SHARE UPDATE EXCLUSIVE';
/** Statements that are a query: their own locks are those of the query. */
const QUERIES = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** Keeps the strongest mode per table, in the order tables were first met. */
class LockSet {
  private readonly modes = new Map<string, PgLockMode>();

  add(table: string | undefined, mode: PgLockMode): void {
    if (table === undefined || table === '') return;
    const held = this.modes.get(table);
    if (held === undefined || PG_LOCK_MODES.indexOf(mode) > PG_LOCK_MODES.indexOf(held)) this.modes.set(table, mode);
  }

  list(): PgLock[] {
    return [...this.modes].map(([table, mode]) => ({ table, mode }));
  }
}

// ALTER TABLE subcommands below ACCESS EXCLUSIVE (AlterTableGetLockLevel in tablecmds.c, PostgreSQL 15); ENABLE/DISABLE TRIGGER are as CREATE TRIGGER.
const SHARE_UPDATE_EXCLUSIVE_SUBCOMMAND = /^AT_(SetStatistics|ClusterOn|DropCluster|SetOptions|ResetOptions|ValidateConstraint|ReAddStatistics)$/;
const SHARE_ROW_EXCLUSIVE_SUBCOMMAND = /^AT_(Enable|Disable)\w*Trig/;
// Storage parameters set under SHARE UPDATE EXCLUSIVE (ALTER TABLE ... SET): fillfactor, toast, autovacuum and vacuum ones, parallel_workers.
const LIGHT_STORAGE_PARAMETER =
  /^(fillfactor|toast_tuple_target|parallel_workers|autovacuum_.*|vacuum_index_cleanup|vacuum_truncate|log_autovacuum_min_duration)$/;

function storageParametersMode(def: Node | undefined): PgLockMode {
  const options = (nodeAs(def, 'List')?.items ?? []).map((item) => nodeAs(item, 'DefElem'));
  return options.every((o) => o?.defnamespace === 'toast' || LIGHT_STORAGE_PARAMETER.test(o?.defname ?? '')) ? SUE : AE;
}

function alterTableLocks(locks: LockSet, table: string | undefined, cmd: AlterTableCmd): void {
  const partition = nodeAs(cmd.def, 'PartitionCmd');
  const constraint = nodeAs(cmd.def, 'Constraint');
  switch (cmd.subtype) {
    // ATTACH: SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the partition; DETACH: ACCESS EXCLUSIVE on both, unless CONCURRENTLY
    case 'AT_AttachPartition':
    case 'AT_DetachPartition':
    case 'AT_DetachPartitionFinalize':
      locks.add(table, cmd.subtype === 'AT_DetachPartition' && partition?.concurrent !== true ? AE : SUE);
      locks.add(relationName(partition?.name), cmd.subtype === 'AT_DetachPartitionFinalize' || partition?.concurrent === true ? SUE : AE);
      return;
    case 'AT_AddConstraint':
      // a foreign key adds triggers to both tables: SHARE ROW EXCLUSIVE, as CREATE TRIGGER
      if (constraint?.contype === 'CONSTR_FOREIGN') {
        locks.add(table, 'SHARE ROW EXCLUSIVE');
        locks.add(relationName(constraint.pktable), 'SHARE ROW EXCLUSIVE');
      } else locks.add(table, 'ACCESS EXCLUSIVE');
      return;
    case 'AT_AddColumn':
      locks.add(table, 'ACCESS EXCLUSIVE');
      for (const fk of foreignKeys(nodeAs(cmd.def, 'ColumnDef')?.constraints)) locks.add(relationName(fk.pktable), 'SHARE ROW EXCLUSIVE');
      return;
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions':
      locks.add(table, storageParametersMode(cmd.def));
      return;
  }
  const subtype = cmd.subtype ?? '';
  if (SHARE_UPDATE_EXCLUSIVE_SUBCOMMAND.test(subtype)) locks.add(table, 'SHARE UPDATE EXCLUSIVE');
  else locks.add(table, SHARE_ROW_EXCLUSIVE_SUBCOMMAND.test(subtype) ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE');
}

/**
 * The locks of a query: ACCESS SHARE on every table read, ROW EXCLUSIVE on every table written
 * (also by a data-modifying WITH), ROW SHARE on tables locked by SELECT ... FOR UPDATE/SHARE.
 */
function queryLocks(locks: LockSet, tree: unknown): void {
  const ctes = new Set<string>();
  const read: string[] = [];
  const written: string[] = [];
  const rowLocked: string[] = [];
  let lockAllRead = false;
  walkNodes(tree, (type, body) => {
    if (type === 'CommonTableExpr' && typeof body.ctename === 'string') ctes.add(body.ctename);
    else if (type === 'RangeVar') read.push(relationName(body as RangeVar) ?? '');
    else if (type !== 'SelectStmt' && QUERIES.has(type)) written.push(relationName(body.relation as RangeVar | undefined) ?? '');
    else if (type === 'LockingClause') {
      const rels = (body.lockedRels ?? []) as Node[];
      if (rels.length === 0) lockAllRead = true;
      rowLocked.push(...rels.map((rel) => relationName(nodeAs(rel, 'RangeVar')) ?? ''));
    }
  });
  for (const name of read) if (!ctes.has(name)) locks.add(name, lockAllRead ? 'ROW SHARE' : 'ACCESS SHARE');
  for (const name of rowLocked) if (!ctes.has(name)) locks.add(name, 'ROW SHARE');
  for (const name of written) locks.add(name, 'ROW EXCLUSIVE');
}

function rangeVars(nodes: Node[] | undefined): (string | undefined)[] {
  return (nodes ?? []).map((node) => relationName(nodeAs(node, 'RangeVar') ?? nodeAs(node, 'VacuumRelation')?.relation));
}

const DROPPED_RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE', 'OBJECT_INDEX']);
const DROPPED_ON_TABLE = new Set(['OBJECT_TRIGGER', 'OBJECT_RULE', 'OBJECT_POLICY']);

function dropLocks(locks: LockSet, stmt: NonNullable<PgNodeBody<'DropStmt'>>): void {
  const type = stmt.removeType ?? '';
  for (const object of stmt.objects ?? []) {
    const parts = nodeAs(object, 'List')?.items ?? [];
    if (DROPPED_RELATIONS.has(type)) locks.add(dottedName(parts), stmt.concurrent === true ? SUE : AE);
    else if (DROPPED_ON_TABLE.has(type)) locks.add(dottedName(parts.slice(0, -1)), 'ACCESS EXCLUSIVE');
  }
}

function createTableLocks(locks: LockSet, stmt: NonNullable<PgNodeBody<'CreateStmt'>>): void {
  const own = relationName(stmt.relation);
  // PARTITION OF locks the parent ACCESS EXCLUSIVE, INHERITS only SHARE UPDATE EXCLUSIVE
  for (const parent of rangeVars(stmt.inhRelations)) locks.add(parent, stmt.partbound === undefined ? SUE : AE);
  for (const fk of (stmt.tableElts ?? []).flatMap((element) => foreignKeys(nodeAs(element, 'ColumnDef')?.constraints ?? [element]))) {
    const referenced = relationName(fk.pktable);
    if (referenced !== own) locks.add(referenced, 'SHARE ROW EXCLUSIVE');
  }
}

/** True when a boolean option (`CONCURRENTLY`, `create_slot = false`) is on; a bare option is on. */
export function optionOn(options: Node[] | undefined, name: string, unset = false): boolean {
  const option = (options ?? []).map((o) => nodeAs(o, 'DefElem')).find((o) => o?.defname === name);
  if (option === undefined) return unset;
  if (option.arg === undefined) return true;
  const text = nodeAs(option.arg, 'String')?.sval ?? String(nodeAs(option.arg, 'Integer')?.ival ?? nodeAs(option.arg, 'Boolean')?.boolval ?? 0);
  return !['false', 'off', 'no', '0'].includes(text.toLowerCase());
}

/**
 * The command, when the statement is one PostgreSQL 15 refuses inside a transaction block
 * (PreventInTransactionBlock). `slotless` names subscriptions the script detached from their
 * replication slot: dropping those is allowed in a transaction.
 *
 * @example
 * refusedInTransaction(parseSync('VACUUM users').stmts[0].stmt, new Set()); // 'VACUUM'
 */
export function refusedInTransaction(stmt: Node, slotless: ReadonlySet<string>): string | undefined {
  const always: Record<string, string> = {
    CreatedbStmt: 'CREATE DATABASE',
    DropdbStmt: 'DROP DATABASE',
    AlterSystemStmt: 'ALTER SYSTEM',
    CreateTableSpaceStmt: 'CREATE TABLESPACE',
    DropTableSpaceStmt: 'DROP TABLESPACE',
  };
  const reindex = nodeAs(stmt, 'ReindexStmt');
  const subscription = nodeAs(stmt, 'CreateSubscriptionStmt');
  const alterSubscription = nodeAs(stmt, 'AlterSubscriptionStmt');
  const dropSubscription = nodeAs(stmt, 'DropSubscriptionStmt');
  if (nodeAs(stmt, 'IndexStmt')?.concurrent === true) return 'CREATE INDEX CONCURRENTLY';
  if (nodeAs(stmt, 'DropStmt')?.concurrent === true) return 'DROP INDEX CONCURRENTLY';
  if (reindex && optionOn(reindex.params, 'concurrently')) return 'REINDEX CONCURRENTLY';
  if (reindex && reindex.kind !== 'REINDEX_OBJECT_INDEX' && reindex.kind !== 'REINDEX_OBJECT_TABLE')
    return `REINDEX ${reindex.kind?.replace('REINDEX_OBJECT_', '')}`;
  if (nodeAs(stmt, 'VacuumStmt')?.is_vacuumcmd === true) return 'VACUUM';
  if (nodeAs(stmt, 'DiscardStmt')?.target === 'DISCARD_ALL') return 'DISCARD ALL';
  if (nodeAs(stmt, 'AlterDatabaseStmt')?.options?.some((o) => nodeAs(o, 'DefElem')?.defname === 'tablespace')) return 'ALTER DATABASE ... SET TABLESPACE';
  if (nodeAs(stmt, 'ClusterStmt') && nodeAs(stmt, 'ClusterStmt')?.relation === undefined) return 'CLUSTER without a table name';
  const detach = nodeAs(stmt, 'AlterTableStmt')?.cmds?.some((cmd) => nodeAs(nodeAs(cmd, 'AlterTableCmd')?.def, 'PartitionCmd')?.concurrent === true);
  if (detach === true) return 'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY';
  if (subscription && optionOn(subscription.options, 'connect', true) && optionOn(subscription.options, 'create_slot', true)) {
    return 'CREATE SUBSCRIPTION that creates a replication slot';
  }
  if (dropSubscription && !slotless.has(dropSubscription.subname ?? '')) return 'DROP SUBSCRIPTION of a subscription with a replication slot';
  if (alterSubscription?.kind === 'ALTER_SUBSCRIPTION_REFRESH') return 'ALTER SUBSCRIPTION ... REFRESH PUBLICATION';
  if (/_PUBLICATION$/.test(alterSubscription?.kind ?? '') && optionOn(alterSubscription?.options, 'refresh', true)) {
    return 'ALTER SUBSCRIPTION ... PUBLICATION with refresh';
  }
  return always[Object.keys(stmt)[0] ?? ''];
}

/** The fields of the statements below, read without narrowing to each type (they agree on the types of the fields they share). */
type SharedFields = Pg.IndexStmt & Pg.RenameStmt & Pg.ReindexStmt & Pg.VacuumStmt & Pg.LockStmt & Pg.CopyStmt & Pg.ViewStmt & Pg.CreatePolicyStmt;

/** Statements that lock the relation they name (`relation`, `table`, or the view CREATE OR REPLACE VIEW replaces). */
const ONE_RELATION: Record<string, (s: SharedFields) => PgLockMode> = {
  IndexStmt: (s) => (s.concurrent === true ? SUE : 'SHARE'),
  // ALTER INDEX ... RENAME takes SHARE UPDATE EXCLUSIVE since PostgreSQL 12
  RenameStmt: (s) => (s.renameType === 'OBJECT_INDEX' ? SUE : AE),
  AlterObjectSchemaStmt: () => AE,
  RuleStmt: () => AE,
  ClusterStmt: () => AE,
  CreatePolicyStmt: () => AE,
  AlterPolicyStmt: () => AE,
  ViewStmt: () => AE,
  RefreshMatViewStmt: (s) => (s.concurrent === true ? 'EXCLUSIVE' : AE),
  CreateTrigStmt: () => 'SHARE ROW EXCLUSIVE',
  CopyStmt: (s) => (s.is_from === true ? 'ROW EXCLUSIVE' : 'ACCESS SHARE'),
  // REINDEX takes SHARE on a table, ACCESS EXCLUSIVE on an index; CONCURRENTLY only SHARE UPDATE EXCLUSIVE
  ReindexStmt: (s) => (optionOn(s.params, 'concurrently') ? SUE : s.kind === 'REINDEX_OBJECT_INDEX' ? AE : 'SHARE'),
};

/** Statements that lock each relation of a list (`relations`, or VACUUM's `rels`). */
const RELATION_LIST: Record<string, (s: SharedFields) => PgLockMode> = {
  TruncateStmt: () => AE,
  CreateStatsStmt: () => SUE,
  LockStmt: (s) => PG_LOCK_MODES[(s.mode ?? 8) - 1] ?? AE,
  VacuumStmt: (s) => (s.is_vacuumcmd === true && optionOn(s.options, 'full') ? AE : SUE),
};

/** Statements whose locks are those of the query they hold (`query`). */
const QUERY_HOLDERS = new Set(['CreateTableAsStmt', 'ExplainStmt', 'DeclareCursorStmt', 'ViewStmt', 'CopyStmt']);

function commentLocks(locks: LockSet, stmt: NonNullable<PgNodeBody<'CommentStmt'>>): void {
  const parts = nodeAs(stmt.object, 'List')?.items ?? [];
  if (stmt.objtype === 'OBJECT_TABLE') locks.add(dottedName(parts), SUE);
  if (stmt.objtype === 'OBJECT_COLUMN') locks.add(dottedName(parts.slice(0, -1)), SUE);
}

/**
 * The table-level locks a statement takes, strongest per relation (indexes, views and sequences
 * count as relations): PostgreSQL 15 lock levels, from explicit-locking.html and each command's
 * page. Statements that lock no table (CREATE FUNCTION, GRANT, ...) give none.
 *
 * @example
 * statementLocks(parseSync('CREATE INDEX ON app.users (email)').stmts[0].stmt);
 * // [{ table: 'app.users', mode: 'SHARE' }]
 */
export function statementLocks(stmt: Node): PgLock[] {
  const locks = new LockSet();
  const type = Object.keys(stmt)[0] ?? '';
  const body = (Object.values(stmt)[0] ?? {}) as SharedFields;
  const target = body.relation ?? body.table ?? (body.replace === true ? body.view : undefined);
  const alter = nodeAs(stmt, 'AlterTableStmt');
  for (const cmd of alter?.cmds ?? []) alterTableLocks(locks, relationName(alter?.relation), nodeAs(cmd, 'AlterTableCmd') ?? {});
  dropLocks(locks, nodeAs(stmt, 'DropStmt') ?? {});
  createTableLocks(locks, nodeAs(stmt, 'CreateStmt') ?? {});
  commentLocks(locks, nodeAs(stmt, 'CommentStmt') ?? {});
  const one = ONE_RELATION[type];
  if (one) locks.add(relationName(target), one(body));
  const each = RELATION_LIST[type];
  if (each) for (const name of rangeVars(body.relations ?? body.rels)) locks.add(name, each(body));
  if (QUERY_HOLDERS.has(type)) queryLocks(locks, body.query);
  if (QUERIES.has(type)) queryLocks(locks, stmt);
  return locks.list();
}
