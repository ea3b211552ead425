import type { CriticalQuerySpec, MilestoneSpec } from './milestone-spec.js';

interface Declared {
  /** The milestone whose `milestone.json` declared it. */
  milestone: number;
}

export interface RequiredTable extends Declared {
  table: string;
}
export interface RequiredColumn extends Declared {
  table: string;
  column: string;
}
export interface UniqueIntent extends Declared {
  table: string;
  columns: string[];
}
export interface DomainDeclaration extends Declared {
  table: string;
  column: string;
  values: (string | number)[];
}
export interface RequiredIndex extends Declared {
  table: string;
  name?: string;
  columns: string[];
  unique?: boolean;
  where?: string;
}
export interface DeclaredReference extends Declared {
  table: string;
  columns: string[];
  parent: string;
  parentColumns?: string[];
}
export interface RequiredView extends Declared {
  view: string;
}
export interface CriticalQuery extends Declared, CriticalQuerySpec {}

/** Everything milestones 1..n require together (later milestones override and retire). */
export interface MilestoneRequirements {
  upTo: number;
  tables: RequiredTable[];
  columns: RequiredColumn[];
  notNull: RequiredColumn[];
  unique: UniqueIntent[];
  domains: DomainDeclaration[];
  indexes: RequiredIndex[];
  references: DeclaredReference[];
  views: RequiredView[];
  queries: CriticalQuery[];
}

type Maps = { [K in Exclude<keyof MilestoneRequirements, 'upTo'>]: Map<string, MilestoneRequirements[K][number]> };

const key = (...parts: (string | string[])[]) => parts.flat().join('\u0000');

/**
 * Merges the declarations of milestones 1..`upTo`: a later milestone adds features, replaces
 * a column's domain or a query of the same name, and `retires` what it removed.
 *
 * @example
 * const req = mergeRequirements(specs, 3);
 * req.tables.map((t) => t.table);
 */
export function mergeRequirements(specs: Map<number, MilestoneSpec>, upTo: number): MilestoneRequirements {
  const maps: Maps = {
    tables: new Map(),
    columns: new Map(),
    notNull: new Map(),
    unique: new Map(),
    domains: new Map(),
    indexes: new Map(),
    references: new Map(),
    views: new Map(),
    queries: new Map(),
  };
  for (const mvp of [...specs.keys()].filter((m) => m <= upTo).sort((a, b) => a - b)) {
    const spec = specs.get(mvp)!;
    retire(maps, spec);
    for (const [table, t] of Object.entries(spec.tables)) {
      if (!maps.tables.has(table)) maps.tables.set(table, { milestone: mvp, table });
      for (const column of t.columns) if (!maps.columns.has(key(table, column))) maps.columns.set(key(table, column), { milestone: mvp, table, column });
      for (const column of t.required) if (!maps.notNull.has(key(table, column))) maps.notNull.set(key(table, column), { milestone: mvp, table, column });
      for (const columns of t.unique) if (!maps.unique.has(key(table, columns))) maps.unique.set(key(table, columns), { milestone: mvp, table, columns });
      for (const [column, values] of Object.entries(t.domains)) maps.domains.set(key(table, column), { milestone: mvp, table, column, values });
      for (const index of t.indexes) {
        const existing = maps.indexes.get(key(table, index.columns));
        maps.indexes.set(key(table, index.columns), { ...index, table, milestone: existing?.milestone ?? mvp });
      }
      for (const ref of t.references) {
        maps.references.set(key(table, ref.columns), { milestone: mvp, table, columns: ref.columns, parent: ref.table, parentColumns: ref.parentColumns });
      }
    }
    for (const view of spec.views) if (!maps.views.has(view)) maps.views.set(view, { milestone: mvp, view });
    for (const query of spec.criticalQueries) maps.queries.set(query.name, { ...query, milestone: mvp });
  }
  return {
    upTo,
    tables: [...maps.tables.values()],
    columns: [...maps.columns.values()],
    notNull: [...maps.notNull.values()],
    unique: [...maps.unique.values()],
    domains: [...maps.domains.values()],
    indexes: [...maps.indexes.values()],
    references: [...maps.references.values()],
    views: [...maps.views.values()],
    queries: [...maps.queries.values()],
  };
}

function retire(maps: Maps, spec: MilestoneSpec): void {
  const r = spec.retires;
  if (!r) return;
  const drop = <T>(map: Map<string, T>, gone: (item: T) => boolean) => {
    for (const [k, item] of map) if (gone(item)) map.delete(k);
  };
  const tableGone = (item: { table: string }) => r.tables.includes(item.table);
  const columnGone = (table: string, columns: string[]) => columns.some((c) => r.columns[table]?.includes(c) ?? false);
  drop(maps.tables, tableGone);
  drop(maps.columns, (i) => tableGone(i) || columnGone(i.table, [i.column]));
  drop(maps.notNull, (i) => tableGone(i) || columnGone(i.table, [i.column]));
  drop(maps.domains, (i) => tableGone(i) || columnGone(i.table, [i.column]));
  drop(maps.unique, (i) => tableGone(i) || columnGone(i.table, i.columns));
  drop(maps.indexes, (i) => tableGone(i) || columnGone(i.table, i.columns) || (i.name !== undefined && r.indexes.includes(i.name)));
  drop(maps.references, (i) => tableGone(i) || r.tables.includes(i.parent) || columnGone(i.table, i.columns));
  drop(maps.views, (i) => r.views.includes(i.view));
  drop(maps.queries, (i) => r.criticalQueries.includes(i.name));
}
