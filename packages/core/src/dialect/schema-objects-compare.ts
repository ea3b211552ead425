import type { CheckInfo, ColumnKindInfo, IndexInfo, RoutineInfo, SchemaObjects, TriggerInfo, ViewInfo } from './dialect.js';
import { type SchemaChange, type Verdict, adder, breaking, compareSchemas, compatible, describeIndex } from './schema-compare.js';
import { checkVerdict } from './check-verdict.js';
import { compareByKey } from './compare-by-key.js';
import { comparePartitions } from './partitions-compare.js';
import { compareSequences, compareTypes } from './schema-types-compare.js';

/**
 * The CHECK constraints of the tables on both sides, by definition (a constraint renamed alone is
 * not a change); an old and a new definition under one name are one `check-changed`.
 */
function compareChecks(from: CheckInfo[], to: CheckInfo[], common: Set<string>, changes: SchemaChange[]): void {
  const add = adder(changes, 'table');
  for (const table of [...common].sort()) {
    const before = from.filter((c) => c.table === table);
    const after = to.filter((c) => c.table === table);
    const removed = before.filter((c) => !after.some((d) => d.definition === c.definition));
    const added = after.filter((c) => !before.some((d) => d.definition === c.definition));
    for (const c of added) {
      const old = removed.find((r) => r.name === c.name);
      if (old) {
        removed.splice(removed.indexOf(old), 1);
        add('check-changed', table, `table ${table}: ${c.name} ${old.definition} -> ${c.definition}`, checkVerdict(old.definition, c.definition), old, c);
      } else
        add(
          'check-added',
          table,
          `table ${table}: ${c.name} ${c.definition} added`,
          breaking('new CHECK constraint: writes the old schema accepted can fail'),
          undefined,
          c,
        );
    }
    for (const c of removed) add('check-removed', table, `table ${table}: ${c.name} ${c.definition} removed`, compatible('constraint relaxed'), c);
  }
}

const identityOf = (k: ColumnKindInfo | undefined) => k?.identity ?? null;
const generatedOf = (k: ColumnKindInfo | undefined) => k?.generated ?? null;

/** Identity and generated columns that exist on both sides and changed kind. */
function compareColumnKinds(from: SchemaObjects, to: SchemaObjects, common: Set<string>, changes: SchemaChange[]): void {
  const add = adder(changes, 'table');
  const key = (table: string, column: string) => `${table}\u0000${column}`;
  const before = new Map(from.columnKinds.map((k) => [key(k.table, k.column), k]));
  const after = new Map(to.columnKinds.map((k) => [key(k.table, k.column), k]));
  const beforeColumns = new Map(from.tables.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]));
  for (const table of to.tables.filter((t) => common.has(t.name))) {
    for (const { name } of table.columns.filter((c) => beforeColumns.get(table.name)!.has(c.name))) {
      const [x, y] = [before.get(key(table.name, name)), after.get(key(table.name, name))];
      const at = `column ${table.name}.${name}`;
      if (generatedOf(x) !== generatedOf(y)) {
        const verdict =
          generatedOf(y) === null
            ? compatible('column is no longer generated')
            : generatedOf(x) === null
              ? breaking('column became generated: writes to it fail')
              : compatible('generated expression changed');
        add('column-generated-changed', table.name, `${at}: generated ${generatedOf(x) ?? 'no'} -> ${generatedOf(y) ?? 'no'}`, verdict, x, y, name);
      }
      if (identityOf(x) !== identityOf(y)) {
        const verdict =
          identityOf(y) === 'always'
            ? breaking('GENERATED ALWAYS identity: inserts that give the column a value fail')
            : compatible('identity relaxed or added BY DEFAULT');
        add('column-identity-changed', table.name, `${at}: identity ${identityOf(x) ?? 'none'} -> ${identityOf(y) ?? 'none'}`, verdict, x, y, name);
      }
    }
  }
}

function viewVerdict(a: ViewInfo, b: ViewInfo): Verdict {
  const missing = (a.columns ?? []).filter((c) => !(b.columns ?? []).includes(c));
  if (missing.length > 0) return breaking(`view no longer has column(s) ${missing.join(', ')}`);
  if (!a.materialized && b.materialized) return breaking('view became materialized: it shows the rows of its last REFRESH');
  return compatible('view definition changed, its columns are kept');
}

function routineVerdict(a: RoutineInfo, b: RoutineInfo): Verdict {
  if (a.kind !== b.kind) return breaking(`${a.kind} became a ${b.kind}: calls written for it fail`);
  if (a.result !== b.result) return breaking(`returns ${b.result} instead of ${a.result}`);
  return compatible('body changed, same arguments and result');
}

/**
 * The indexes of views materialized on both sides, as a table's are compared, except that a
 * materialized view takes no writes: a unique index matters because `REFRESH MATERIALIZED VIEW
 * CONCURRENTLY` needs one, so losing one breaks.
 */
function compareViewIndexes(from: ViewInfo[], to: ViewInfo[], changes: SchemaChange[]): void {
  const add = adder(changes, 'index');
  const lostUnique = breaking('unique index dropped: REFRESH MATERIALIZED VIEW CONCURRENTLY needs one');
  const indexesOf = (views: ViewInfo[]) => new Map(views.filter((v) => v.materialized).map((v) => [v.name, v.indexes ?? []]));
  const [before, after] = [indexesOf(from), indexesOf(to)];
  for (const [view, indexes] of after) {
    const old = before.get(view);
    if (!old) continue;
    const was = new Map(old.map((i): [string, IndexInfo] => [i.name, i]));
    for (const y of indexes) {
      const x = was.get(y.name);
      if (!x) add('index-added', y.name, `index ${describeIndex(y)} added`, compatible('new index'), undefined, y);
      else if (x.definition !== y.definition || x.unique !== y.unique) {
        add('index-changed', y.name, `index ${describeIndex(y)} changed`, x.unique && !y.unique ? lostUnique : compatible('index changed'), x, y);
      }
      was.delete(y.name);
    }
    for (const x of was.values()) {
      add('index-removed', x.name, `index ${describeIndex(x)} dropped`, x.unique ? lostUnique : compatible('index removed (queries may be slower)'), x);
    }
  }
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const signature = (r: RoutineInfo) => `${r.name}(${r.arguments})`;
const onTable = (t: TriggerInfo) => `${t.name} on ${t.table}`;

/**
 * The changes from one schema to another, tables and the objects beside them, each classified
 * compatible or breaking for an application written against `from`: everything
 * {@link compareSchemas} finds, then CHECK constraints, identity and generated columns (of tables
 * and columns on both sides), partitioning (see `comparePartitions`), views (a lost column or a switch to materialized breaks), triggers
 * (a behaviour change, compatible as on SQLite), functions and procedures by signature (a dropped
 * one, or a new result type, breaks), the indexes of materialized views (dropping the unique one
 * `REFRESH ... CONCURRENTLY` needs breaks), types (see `compareTypes`: enums, domains, composite
 * types) and sequences (see `compareSequences`).
 *
 * @example
 * const changes = compareSchemaObjects(await scratch.introspector.objects(), await live.introspector.objects());
 * changes.filter((c) => c.objectType === 'trigger').map((c) => c.description);
 */
export function compareSchemaObjects(from: SchemaObjects, to: SchemaObjects): SchemaChange[] {
  const changes = compareSchemas(from.tables, to.tables);
  const common = new Set(to.tables.filter((t) => from.tables.some((f) => f.name === t.name)).map((t) => t.name));
  compareChecks(from.checks, to.checks, common, changes);
  compareColumnKinds(from, to, common, changes);
  comparePartitions(from, to, changes);
  compareByKey(changes, 'view', from.views, to.views, {
    key: (v) => v.name,
    label: (v) => v.name,
    same: (a, b) => a.definition === b.definition && !!a.materialized === !!b.materialized,
    added: compatible('new view'),
    removed: breaking('dropped view'),
    changed: viewVerdict,
    detail: (a, b) => (sameJson(a.columns, b.columns) ? '' : ` (columns ${a.columns?.join(', ')} -> ${b.columns?.join(', ')})`),
  });
  // a table's triggers come and go with it, as its indexes do
  const onCommon = (triggers: TriggerInfo[]) => triggers.filter((t) => common.has(t.table));
  compareByKey(changes, 'trigger', onCommon(from.triggers), onCommon(to.triggers), {
    key: onTable,
    label: onTable,
    same: (a, b) => a.definition === b.definition,
    added: compatible('trigger behaviour changed'),
    removed: compatible('trigger behaviour changed'),
    changed: () => compatible('trigger behaviour changed'),
  });
  compareByKey(changes, 'function', from.routines, to.routines, {
    key: signature,
    label: signature,
    same: sameJson,
    added: compatible('new function'),
    removed: breaking('dropped function: calls to it fail'),
    changed: routineVerdict,
    detail: (a, b) => (a.result === b.result ? '' : ` (returns ${a.result} -> ${b.result})`),
  });
  compareViewIndexes(from.views, to.views, changes);
  compareTypes(from, to, changes);
  compareSequences(from, to, changes);
  return changes;
}
