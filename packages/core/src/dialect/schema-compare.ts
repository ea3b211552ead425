import type { ColumnInfo, ForeignKeyInfo, IndexInfo, TableInfo } from './dialect.js';
import { isPgTypeWidening } from './postgres/postgres-type-widening.js';

/** The kinds of change {@link compareSchemas} finds: the names schema-evolution's diff uses for them. */
export type SchemaChangeKind =
  | 'table-added'
  | 'table-removed'
  | 'column-added'
  | 'column-removed'
  | 'column-renamed'
  | 'column-type-changed'
  | 'column-nullability-changed'
  | 'column-default-changed'
  | 'primary-key-changed'
  | 'foreign-key-added'
  | 'foreign-key-removed'
  | 'foreign-key-action-changed'
  | 'index-added'
  | 'index-removed'
  | 'index-changed'
  | 'check-added'
  | 'check-removed'
  | 'check-changed'
  | 'column-generated-changed'
  | 'column-identity-changed'
  | 'partitioning-changed'
  | 'view-added'
  | 'view-removed'
  | 'view-changed'
  | 'trigger-added'
  | 'trigger-removed'
  | 'trigger-changed'
  | 'function-added'
  | 'function-removed'
  | 'function-changed'
  | 'type-added'
  | 'type-removed'
  | 'type-changed'
  | 'sequence-added'
  | 'sequence-removed'
  | 'sequence-changed';

/** One change between two schemas, classified; the shape of schema-evolution's `SchemaChange`, so its diff renderer prints it. */
export interface SchemaChange {
  kind: SchemaChangeKind;
  objectType: 'table' | 'index' | 'view' | 'trigger' | 'function' | 'type' | 'sequence';
  /** The table (for column, key, constraint and table changes), or the index, view, trigger, function (`name(arguments)`), type or sequence. */
  object: string;
  /** The column, for column changes. */
  column?: string;
  /** One readable line: `column notes.body: type text -> character varying(20)`. */
  description: string;
  from?: unknown;
  to?: unknown;
  compatibility: 'compatible' | 'breaking';
  /** Why it is breaking or compatible, in words. */
  reason: string;
}

/** A change's classification. */
export type Verdict = Pick<SchemaChange, 'compatibility' | 'reason'>;
export const breaking = (reason: string): Verdict => ({ compatibility: 'breaking', reason });
export const compatible = (reason: string): Verdict => ({ compatibility: 'compatible', reason });

/** `pg_get_indexdef` qualifies the table with its schema; without it a scratch schema's index reads as the live one's. */
const unqualified = (definition: string) => definition.replace(/ ON (ONLY )?(?:"(?:[^"]|"")+"|[^\s."]+)\./, ' ON $1');

const describeColumn = (c: ColumnInfo) =>
  [c.name, c.type, c.nullable ? '' : 'NOT NULL', c.defaultSql === null ? '' : `DEFAULT ${c.defaultSql}`].filter(Boolean).join(' ');
export const describeIndex = (i: IndexInfo) => `${i.name} on ${i.table} (${i.columns.join(', ')})${i.unique ? ' UNIQUE' : ''}`;
const fkKey = (fk: ForeignKeyInfo) => `${fk.columns.join(',')}->${fk.referencedTable}(${fk.referencedColumns.join(',')})`;
const describeFk = (fk: ForeignKeyInfo) => `(${fk.columns.join(', ')}) -> ${fk.referencedTable}(${fk.referencedColumns.join(', ')}) ON DELETE ${fk.onDelete}`;
const sameColumnExceptName = (a: ColumnInfo, b: ColumnInfo) => a.type === b.type && a.nullable === b.nullable && a.defaultSql === b.defaultSql;

/** The verdict on one column change, as schema-evolution's diff gives it on SQLite. */
function columnVerdict(kind: SchemaChangeKind, a: ColumnInfo | undefined, b: ColumnInfo | undefined, primaryKey: string[]): Verdict {
  if (kind === 'column-added') {
    return !b!.nullable && b!.defaultSql === null && !primaryKey.includes(b!.name)
      ? breaking('NOT NULL column without a default: inserts written for the old schema fail')
      : compatible('new column the old application does not need to know about');
  }
  if (kind === 'column-removed') return breaking('dropped column: the old application still reads or writes it');
  if (kind === 'column-renamed') return breaking('renamed column: the old name no longer exists');
  if (kind === 'column-type-changed')
    return isPgTypeWidening(a!.type, b!.type) ? compatible('widened type') : breaking(`narrowed type (${a!.type} -> ${b!.type})`);
  if (kind === 'column-nullability-changed') {
    if (b!.nullable) return compatible('column now accepts NULL');
    return b!.defaultSql === null ? breaking('NOT NULL without a default: inserts that omit the column fail') : compatible('NOT NULL with a default');
  }
  return !b!.nullable && b!.defaultSql === null ? breaking('default removed from a NOT NULL column') : compatible('default changed');
}

/** Adds one classified change to `changes`. */
export const adder =
  (changes: SchemaChange[], objectType: SchemaChange['objectType']) =>
  (kind: SchemaChangeKind, object: string, description: string, verdict: Verdict, from?: unknown, to?: unknown, column?: string) =>
    changes.push({ kind, objectType, object, ...(column === undefined ? {} : { column }), description, from, to, ...verdict });

/** The changes inside one table that exists on both sides; returns its renamed columns (old name to new). */
function compareColumns(a: TableInfo, b: TableInfo, changes: SchemaChange[]): Map<string, string> {
  const add = adder(changes, 'table');
  const column = (kind: SchemaChangeKind, name: string, description: string, x?: ColumnInfo, y?: ColumnInfo) =>
    add(kind, b.name, description, columnVerdict(kind, x, y, b.primaryKey), x, y, name);
  const before = new Map(a.columns.map((c) => [c.name, c]));
  const after = new Map(b.columns.map((c) => [c.name, c]));
  const added = b.columns.filter((c) => !before.has(c.name));
  const renamed = new Map<string, string>();
  for (const old of a.columns.filter((c) => !after.has(c.name))) {
    const twin = b.columns[a.columns.indexOf(old)];
    if (twin && added.includes(twin) && sameColumnExceptName(old, twin)) {
      renamed.set(old.name, twin.name);
      column('column-renamed', twin.name, `column ${b.name}.${old.name} renamed to ${twin.name}`, old, twin);
    } else column('column-removed', old.name, `column ${b.name}.${old.name} dropped (${describeColumn(old)})`, old);
  }
  const renamedTo = new Set(renamed.values());
  for (const c of added) if (!renamedTo.has(c.name)) column('column-added', c.name, `column ${b.name}.${describeColumn(c)} added`, undefined, c);
  for (const [name, x] of before) {
    const y = after.get(name);
    const at = `column ${b.name}.${name}`;
    if (!y) continue;
    if (x.type !== y.type) column('column-type-changed', name, `${at}: type ${x.type} -> ${y.type}`, x, y);
    if (x.nullable !== y.nullable) column('column-nullability-changed', name, `${at}: ${y.nullable ? 'now nullable' : 'now NOT NULL'}`, x, y);
    if (x.defaultSql !== y.defaultSql) column('column-default-changed', name, `${at}: default ${x.defaultSql ?? 'none'} -> ${y.defaultSql ?? 'none'}`, x, y);
  }
  return renamed;
}

/** Primary key and foreign keys of a table on both sides, read through its column renames. */
function compareKeys(a: TableInfo, b: TableInfo, renamed: Map<string, string>, changes: SchemaChange[]): void {
  const add = adder(changes, 'table');
  const rename = (columns: string[]) => columns.map((c) => renamed.get(c) ?? c);
  if (rename(a.primaryKey).join(',') !== b.primaryKey.join(',')) {
    const description = `table ${b.name}: primary key (${a.primaryKey.join(', ')}) -> (${b.primaryKey.join(', ')})`;
    add('primary-key-changed', b.name, description, breaking('primary key changed'), a.primaryKey, b.primaryKey);
  }
  const oldFks = new Map(a.foreignKeys.map((fk) => [fkKey({ ...fk, columns: rename(fk.columns) }), fk]));
  const newFks = new Map(b.foreignKeys.map((fk) => [fkKey(fk), fk]));
  for (const [key, y] of newFks) {
    const x = oldFks.get(key);
    const on = `table ${b.name}: foreign key`;
    if (!x)
      add('foreign-key-added', b.name, `${on} ${describeFk(y)} added`, breaking('new foreign key: writes the old schema accepted can fail'), undefined, y);
    else if (x.onDelete !== y.onDelete) {
      const verdict = breaking('changed foreign key action: deletes and updates behave differently');
      add('foreign-key-action-changed', b.name, `${on} ${describeFk(x)} -> ON DELETE ${y.onDelete}`, verdict, x, y);
    }
  }
  for (const [key, x] of oldFks) {
    if (!newFks.has(key)) add('foreign-key-removed', b.name, `table ${b.name}: foreign key ${describeFk(x)} removed`, compatible('constraint relaxed'), x);
  }
}

/** The indexes of a table that stand for themselves: the primary key's index is the primary key, compared as such. */
function ownIndexes(t: TableInfo): Map<string, IndexInfo> {
  const isKey = (i: IndexInfo) => i.unique && t.primaryKey.length > 0 && i.columns.join(',') === t.primaryKey.join(',');
  return new Map(t.indexes.filter((i) => !isKey(i)).map((i) => [i.name, i]));
}

function compareIndexes(a: TableInfo, b: TableInfo, changes: SchemaChange[]): void {
  const add = adder(changes, 'index');
  const before = ownIndexes(a);
  const after = ownIndexes(b);
  for (const [name, y] of after) {
    const x = before.get(name);
    const unique = breaking(`${x ? 'UNIQUE index changed' : 'new UNIQUE index'}: writes the old schema accepted can fail`);
    if (!x) add('index-added', name, `index ${describeIndex(y)} added`, y.unique ? unique : compatible('new index'), undefined, y);
    else if (unqualified(x.definition) !== unqualified(y.definition) || x.unique !== y.unique) {
      add('index-changed', name, `index ${describeIndex(y)} changed`, y.unique ? unique : compatible('index changed'), x, y);
    }
  }
  for (const [name, x] of before) {
    if (!after.has(name)) add('index-removed', name, `index ${describeIndex(x)} dropped`, compatible('index removed (queries may be slower)'), x);
  }
}

/**
 * The changes from one schema to another, each classified compatible or breaking for an
 * application written against `from`, the way `mfmig diff` classifies them on SQLite: tables
 * added and dropped, columns added, dropped, renamed (same place and definition) and changed
 * (type, nullability, default), primary keys, foreign keys, and indexes (the primary key's own
 * index aside; those of added or dropped tables come with the table). Tables first, in name order.
 *
 * @example
 * const changes = compareSchemas(await before.introspector.tables(), await after.introspector.tables());
 * changes.filter((c) => c.compatibility === 'breaking').map((c) => c.description);
 */
export function compareSchemas(from: TableInfo[], to: TableInfo[]): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const add = adder(changes, 'table');
  const byName = (x: TableInfo, y: TableInfo) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
  const before = new Map(from.map((t) => [t.name, t]));
  const after = new Map(to.map((t) => [t.name, t]));
  for (const t of [...from].sort(byName)) {
    if (!after.has(t.name)) add('table-removed', t.name, `table ${t.name} dropped (${t.columns.length} columns)`, breaking('dropped table'), t);
  }
  for (const t of [...to].sort(byName)) {
    if (!before.has(t.name)) add('table-added', t.name, `table ${t.name} added (${t.columns.length} columns)`, compatible('new table'), undefined, t);
  }
  const common = to.filter((t) => before.has(t.name)).sort(byName);
  for (const t of common) compareKeys(before.get(t.name)!, t, compareColumns(before.get(t.name)!, t, changes), changes);
  for (const t of common) compareIndexes(before.get(t.name)!, t, changes);
  return changes;
}
