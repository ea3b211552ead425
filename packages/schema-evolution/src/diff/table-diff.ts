import type { ColumnSnapshot, ForeignKeySnapshot, TableSnapshot } from '../snapshot/schema-snapshot.js';
import { classified, classifyChange, classifyColumnChange } from './compatibility.js';
import type { SchemaChange, SchemaChangeKind } from './schema-change.js';

const lower = (s: string) => s.toLowerCase();

function sameExceptName(a: ColumnSnapshot, b: ColumnSnapshot): boolean {
  return JSON.stringify({ ...a, name: '' }) === JSON.stringify({ ...b, name: '' });
}

function describeColumn(c: ColumnSnapshot): string {
  const parts = [c.name, c.type];
  if (c.notNull) parts.push('NOT NULL');
  if (c.defaultValue !== null) parts.push(`DEFAULT ${c.defaultValue}`);
  if (c.generated) parts.push(`GENERATED AS (${c.generated.expression})${c.generated.stored ? ' STORED' : ''}`);
  return parts.filter(Boolean).join(' ');
}

function describeFk(fk: ForeignKeySnapshot): string {
  const target = `${fk.referencedTable}${fk.referencedColumns.length ? `(${fk.referencedColumns.join(', ')})` : ''}`;
  return `(${fk.columns.join(', ')}) -> ${target} ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`;
}

/**
 * The changes between two versions of one table: columns (added, removed, renamed, changed),
 * primary key, UNIQUE and CHECK constraints, foreign keys and table options, each classified.
 *
 * @example
 * diffTable(before, after).filter((c) => c.compatibility === 'breaking');
 */
export function diffTable(from: TableSnapshot, to: TableSnapshot): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const table = to.name;
  const column = (kind: SchemaChangeKind, name: string, description: string, a?: ColumnSnapshot, b?: ColumnSnapshot) =>
    changes.push(classified({ kind, objectType: 'table', object: table, column: name, description, from: a, to: b }, classifyColumnChange(kind, a, b, to)));
  const fromCols = new Map(from.columns.map((c) => [lower(c.name), c]));
  const toCols = new Map(to.columns.map((c) => [lower(c.name), c]));
  const removed = from.columns.filter((c) => !toCols.has(lower(c.name)));
  const added = to.columns.filter((c) => !fromCols.has(lower(c.name)));
  const renames = new Map<string, string>();
  for (const old of removed) {
    const position = from.columns.indexOf(old);
    const candidate = to.columns[position];
    if (candidate && added.includes(candidate) && sameExceptName(old, candidate)) {
      renames.set(lower(old.name), lower(candidate.name));
      column('column-renamed', candidate.name, `column ${table}.${old.name} renamed to ${candidate.name}`, old, candidate);
    }
  }
  for (const c of removed) if (!renames.has(lower(c.name))) column('column-removed', c.name, `column ${table}.${c.name} dropped (${describeColumn(c)})`, c);
  const renamedTo = new Set(renames.values());
  for (const c of added) if (!renamedTo.has(lower(c.name))) column('column-added', c.name, `column ${table}.${describeColumn(c)} added`, undefined, c);
  for (const [name, a] of fromCols) {
    const b = toCols.get(name);
    if (!b) continue;
    const at = `column ${table}.${b.name}`;
    if (a.type !== b.type) column('column-type-changed', b.name, `${at}: type ${a.type || 'none'} -> ${b.type || 'none'}`, a, b);
    if (a.notNull !== b.notNull) column('column-nullability-changed', b.name, `${at}: ${b.notNull ? 'now NOT NULL' : 'now nullable'}`, a, b);
    if (a.defaultValue !== b.defaultValue)
      column('column-default-changed', b.name, `${at}: default ${a.defaultValue ?? 'none'} -> ${b.defaultValue ?? 'none'}`, a, b);
    if (JSON.stringify(a.generated) !== JSON.stringify(b.generated))
      column('column-generated-changed', b.name, `${at}: generated ${a.generated?.expression ?? 'no'} -> ${b.generated?.expression ?? 'no'}`, a, b);
    if (a.collation !== b.collation)
      column('column-collation-changed', b.name, `${at}: collation ${a.collation ?? 'binary'} -> ${b.collation ?? 'binary'}`, a, b);
  }
  const rename = (names: string[]) => names.map((n) => renames.get(n) ?? n);
  const other = (kind: SchemaChangeKind, description: string, a?: unknown, b?: unknown) =>
    changes.push(classified({ kind, objectType: 'table', object: table, description, from: a, to: b }, classifyChange(kind, a, b)));
  if (rename(from.primaryKey).join(',') !== to.primaryKey.join(',')) {
    other(
      'primary-key-changed',
      `table ${table}: primary key (${from.primaryKey.join(', ')}) -> (${to.primaryKey.join(', ')})`,
      from.primaryKey,
      to.primaryKey,
    );
  }
  const fromUnique = new Set(from.uniqueConstraints.map((u) => rename(u).join(',')));
  const toUnique = new Set(to.uniqueConstraints.map((u) => u.join(',')));
  for (const u of toUnique) if (!fromUnique.has(u)) other('unique-added', `table ${table}: UNIQUE (${u}) added`, undefined, u);
  for (const u of fromUnique) if (!toUnique.has(u)) other('unique-removed', `table ${table}: UNIQUE (${u}) removed`, u);
  const addedChecks = to.checks.filter((c) => !from.checks.includes(c));
  const removedChecks = from.checks.filter((c) => !to.checks.includes(c));
  for (const c of addedChecks) {
    const column = inListColumn(c);
    const before = column ? removedChecks.find((r) => inListColumn(r) === column) : undefined;
    if (before) {
      removedChecks.splice(removedChecks.indexOf(before), 1);
      other('check-changed', `table ${table}: CHECK on ${column} ${describeInList(before, c)}`, before, c);
    } else other('check-added', `table ${table}: CHECK (${c}) added`, undefined, c);
  }
  for (const c of removedChecks) other('check-removed', `table ${table}: CHECK (${c}) removed`, c);
  diffForeignKeys(from, to, rename, other);
  if (from.strict !== to.strict || from.withoutRowid !== to.withoutRowid || from.module !== to.module) {
    const opts = (t: TableSnapshot) => [t.strict ? 'STRICT' : '', t.withoutRowid ? 'WITHOUT ROWID' : '', t.module ?? ''].filter(Boolean).join(', ') || 'none';
    other('table-options-changed', `table ${table}: options ${opts(from)} -> ${opts(to)}`, from, to);
  }
  return changes;
}

const IN_LIST = /^([a-z_][a-z0-9_]*) in \( (.*) \)$/;

function inListColumn(check: string): string | undefined {
  return IN_LIST.exec(check)?.[1];
}

function describeInList(from: string, to: string): string {
  const values = (check: string) => IN_LIST.exec(check)![2]!.split(' , ');
  const before = values(from);
  const after = values(to);
  const added = after.filter((v) => !before.includes(v));
  const removed = before.filter((v) => !after.includes(v));
  return (
    [added.length ? `allows ${added.join(', ')}` : '', removed.length ? `no longer allows ${removed.join(', ')}` : ''].filter(Boolean).join('; ') || 'reordered'
  );
}

function diffForeignKeys(
  from: TableSnapshot,
  to: TableSnapshot,
  rename: (names: string[]) => string[],
  other: (kind: SchemaChangeKind, description: string, a?: unknown, b?: unknown) => void,
): void {
  const key = (fk: ForeignKeySnapshot, columns: string[]) => `${columns.join(',')}->${fk.referencedTable}(${fk.referencedColumns.join(',')})`;
  const before = new Map(from.foreignKeys.map((fk) => [key(fk, rename(fk.columns)), fk]));
  const after = new Map(to.foreignKeys.map((fk) => [key(fk, fk.columns), fk]));
  for (const [k, b] of after) {
    const a = before.get(k);
    if (!a) other('foreign-key-added', `table ${to.name}: foreign key ${describeFk(b)} added`, undefined, b);
    else if (a.onDelete !== b.onDelete || a.onUpdate !== b.onUpdate || a.deferred !== b.deferred) {
      other('foreign-key-action-changed', `table ${to.name}: foreign key ${describeFk(a)} -> ON DELETE ${b.onDelete} ON UPDATE ${b.onUpdate}`, a, b);
    }
  }
  for (const [k, a] of before) if (!after.has(k)) other('foreign-key-removed', `table ${to.name}: foreign key ${describeFk(a)} removed`, a);
}
