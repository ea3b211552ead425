import { definitionJson } from '../snapshot/object-definition.js';
import type { SchemaObject, SchemaSnapshot, TableSnapshot } from '../snapshot/schema-snapshot.js';
import { classified, classifyChange } from './compatibility.js';
import type { SchemaChange, SchemaChangeKind } from './schema-change.js';
import { diffTable } from './table-diff.js';

/** Names of added, removed and changed objects of one kind. */
export interface ObjectDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** The structured difference between two snapshots. */
export interface SchemaDiff {
  fromHash: string;
  toHash: string;
  /** True when the schemas are the same (equal hashes). */
  identical: boolean;
  tables: ObjectDiff & { renamed: { from: string; to: string }[] };
  indexes: ObjectDiff;
  views: ObjectDiff;
  /** By name; on PostgreSQL `name on table`. */
  triggers: ObjectDiff;
  /** Functions and procedures by signature (`name(arguments)`); PostgreSQL only, empty on SQLite. */
  functions: ObjectDiff;
  /** Enum and composite types and domains; PostgreSQL only, empty on SQLite. */
  types: ObjectDiff;
  /** Sequences, their settings; PostgreSQL only, empty on SQLite. */
  sequences: ObjectDiff;
  /** Every change, classified, tables first. */
  changes: SchemaChange[];
  /** The breaking ones. */
  breaking: SchemaChange[];
}

const sameDefinition = (a: SchemaObject, b: SchemaObject) => definitionJson(a) === definitionJson(b);

/**
 * Compares two snapshots: added, removed, renamed and changed tables (down to columns,
 * constraints and foreign keys), indexes, views and triggers. Each change is classified as
 * backward-compatible or breaking for an application written against `from`.
 *
 * @example
 * const diff = diffSnapshots(await evolution.snapshotAt(2), evolution.snapshot());
 * diff.breaking.map((c) => c.description);
 */
export function diffSnapshots(from: SchemaSnapshot, to: SchemaSnapshot): SchemaDiff {
  const diff: SchemaDiff = {
    fromHash: from.hash,
    toHash: to.hash,
    identical: from.hash === to.hash,
    tables: { added: [], removed: [], changed: [], renamed: [] },
    indexes: { added: [], removed: [], changed: [] },
    views: { added: [], removed: [], changed: [] },
    triggers: { added: [], removed: [], changed: [] },
    functions: { added: [], removed: [], changed: [] },
    types: { added: [], removed: [], changed: [] },
    sequences: { added: [], removed: [], changed: [] },
    changes: [],
    breaking: [],
  };
  diffTables(from.tables, to.tables, diff);
  diffKind('index', from.indexes, to.indexes, diff.indexes, diff.changes);
  diffKind('view', from.views, to.views, diff.views, diff.changes);
  diffKind('trigger', from.triggers, to.triggers, diff.triggers, diff.changes);
  diff.breaking = diff.changes.filter((c) => c.compatibility === 'breaking');
  return diff;
}

function byName<T extends SchemaObject>(objects: T[]): Map<string, T> {
  return new Map(objects.map((o) => [o.name.toLowerCase(), o]));
}

function diffTables(fromTables: TableSnapshot[], toTables: TableSnapshot[], diff: SchemaDiff): void {
  const before = byName(fromTables);
  const after = byName(toTables);
  const removed = fromTables.filter((t) => !after.has(t.name.toLowerCase()));
  const added = toTables.filter((t) => !before.has(t.name.toLowerCase()));
  const push = (kind: SchemaChangeKind, object: string, description: string, a?: unknown, b?: unknown) =>
    diff.changes.push(classified({ kind, objectType: 'table', object, description, from: a, to: b }, classifyChange(kind, a, b)));
  for (const old of removed) {
    const twin = added.find((t) => !diff.tables.renamed.some((r) => r.to === t.name) && sameDefinition({ ...old, name: '' }, { ...t, name: '' }));
    if (twin) {
      diff.tables.renamed.push({ from: old.name, to: twin.name });
      push('table-renamed', twin.name, `table ${old.name} renamed to ${twin.name}`, old.name, twin.name);
    } else {
      diff.tables.removed.push(old.name);
      push('table-removed', old.name, `table ${old.name} dropped (${old.columns.length} columns)`, old);
    }
  }
  for (const t of added) {
    if (diff.tables.renamed.some((r) => r.to === t.name)) continue;
    diff.tables.added.push(t.name);
    push('table-added', t.name, `table ${t.name} added (${t.columns.length} columns)`, undefined, t);
  }
  for (const [name, a] of before) {
    const b = after.get(name);
    if (!b || sameDefinition(a, b)) continue;
    const changes = diffTable(a, b);
    if (changes.length === 0) {
      const description = `table ${b.name}: definition details changed (e.g. AUTOINCREMENT or constraint names)`;
      changes.push(
        classified(
          { kind: 'table-options-changed', objectType: 'table', object: b.name, description, from: a, to: b },
          { compatibility: 'compatible', reason: 'same columns and constraints' },
        ),
      );
    }
    diff.tables.changed.push(b.name);
    diff.changes.push(...changes);
  }
}

function diffKind<T extends SchemaObject>(
  type: 'index' | 'view' | 'trigger',
  fromObjects: T[],
  toObjects: T[],
  into: ObjectDiff,
  changes: SchemaChange[],
): void {
  const before = byName(fromObjects);
  const after = byName(toObjects);
  const push = (kind: SchemaChangeKind, object: string, description: string, a?: unknown, b?: unknown) =>
    changes.push(classified({ kind, objectType: type, object, description, from: a, to: b }, classifyChange(kind, a, b)));
  for (const [name, b] of after) {
    const a = before.get(name);
    if (!a) {
      into.added.push(b.name);
      push(`${type}-added`, b.name, `${type} ${b.name} added${describeOn(b)}`, undefined, b);
    } else if (!sameDefinition(a, b)) {
      into.changed.push(b.name);
      push(`${type}-changed`, b.name, `${type} ${b.name} changed${describeOn(b)}`, a, b);
    }
  }
  for (const [name, a] of before) {
    if (after.has(name)) continue;
    into.removed.push(a.name);
    push(`${type}-removed`, a.name, `${type} ${a.name} dropped${describeOn(a)}`, a);
  }
}

function describeOn(o: SchemaObject): string {
  if (o.type === 'index')
    return ` on ${o.table} (${o.columns.map((c) => c.expression).join(', ')})${o.unique ? ' UNIQUE' : ''}${o.where ? ` WHERE ${o.where}` : ''}`;
  if (o.type === 'trigger') return ` (${o.timing} ${o.event} on ${o.table})`;
  return '';
}
