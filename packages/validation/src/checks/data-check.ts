import { quoteIdentifier as q } from '@mfmig/core';
import type { DeclaredReference, UniqueIntent } from '../milestone/merge-requirements.js';
import { finding } from '../report/finding-codes.js';
import { type TableInfo, findTable } from '../schema/schema-model.js';
import { type CheckEnv, type ProbeTask, ridOf, rowidExpression } from './check-env.js';

const text = (expr: string) => `substr(CAST(${expr} AS TEXT), 1, 60)`;
const show = (value: unknown) => (value === null || value === undefined ? 'NULL' : `'${String(value)}'`);

/**
 * The data probes of the milestone declarations that need more than one row at a time
 * (standard level and above): duplicates where uniqueness is intended but no UNIQUE index
 * enforces it, and orphans of declared references that have no FOREIGN KEY (the foreign key
 * check covers those). Row-by-row rules (domains, required columns) are in rowRuleProbes.
 * Tables or columns that do not exist are skipped (the milestone check reports them).
 *
 * @example
 * dataProbes(env).map((t) => t.check.id); // ['data.unique', 'data.references']
 */
export function dataProbes(env: CheckEnv): ProbeTask[] {
  const req = env.requirements;
  if (!req) return [];
  const tasks: ProbeTask[] = [];
  const tableWith = (name: string, columns: string[]) => {
    const table = findTable(env.schema, name);
    return table && columns.every((c) => table.columns.some((col) => col.name.toLowerCase() === c.toLowerCase())) ? table : undefined;
  };
  for (const item of req.unique) {
    const table = tableWith(item.table, item.columns);
    if (table && !uniquenessEnforced(table, item.columns)) tasks.push(uniqueProbe(table, item));
  }
  for (const item of req.references) {
    const table = tableWith(item.table, item.columns);
    const parent = findTable(env.schema, item.parent);
    if (!table || !parent || hasForeignKey(table, item)) continue;
    const parentColumns = item.parentColumns ?? parent.columns.filter((c) => c.pk > 0).map((c) => c.name);
    if (parentColumns.length === item.columns.length) tasks.push(orphanProbe(table, item, parentColumns));
  }
  return tasks;
}

function uniqueProbe(table: TableInfo, item: UniqueIntent): ProbeTask {
  const cols = item.columns.map(q);
  const sql = `SELECT ${table.withoutRowid ? 'NULL' : 'min(rowid)'} AS rid, count(*) AS n, ${cols.map((c, i) => `${text(c)} AS v${i}`).join(', ')} FROM ${q(table.name)} WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')} GROUP BY ${cols.join(', ')} HAVING count(*) > 1`;
  const label = `${table.name}(${item.columns.join(', ')})`;
  return {
    probe: { id: `unique:${label}`, sql, keep: 3, weight: 6 },
    check: { id: 'data.unique', kind: 'data', target: label },
    interpret: (r) => {
      if (r.total === 0) return [];
      const first = r.rows[0]!;
      const value = item.columns.map((_, i) => show(first[`v${i}`])).join(', ');
      const rowid = ridOf(first);
      return [
        finding(
          'DATA_DUPLICATE',
          `${r.total} value(s) of ${label} occur more than once, where MVP${item.milestone} intends them to be unique; e.g. ${value} appears ${Number(first.n)} times`,
          `Merge or delete the duplicates (GROUP BY ${item.columns.join(', ')} HAVING count(*) > 1), then add a UNIQUE index so that it cannot happen again`,
          { table: table.name, column: item.columns[0], milestone: item.milestone, ...(rowid !== undefined ? { rowid } : {}) },
          { count: r.total },
        ),
      ];
    },
  };
}

function orphanProbe(table: TableInfo, item: DeclaredReference, parentColumns: string[]): ProbeTask {
  const match = item.columns.map((c, i) => `p.${q(parentColumns[i]!)} = c.${q(c)}`).join(' AND ');
  const sql = `SELECT ${rowidExpression(table, 'c')} AS rid, ${text(`c.${q(item.columns[0]!)}`)} AS value FROM ${q(table.name)} AS c WHERE ${item.columns.map((c) => `c.${q(c)} IS NOT NULL`).join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${q(item.parent)} AS p WHERE ${match})`;
  const label = `${table.name}(${item.columns.join(', ')}) -> ${item.parent}`;
  return {
    probe: { id: `orphan:${label}`, sql, keep: 3, weight: 4 },
    check: { id: 'data.references', kind: 'data', target: label },
    interpret: (r) => {
      if (r.total === 0) return [];
      const rowid = ridOf(r.rows[0]);
      return [
        finding(
          'DATA_ORPHAN',
          `${r.total} row(s) of ${table.name} point at ${item.parent} rows that do not exist (${label}, e.g. ${show(r.rows[0]?.value)})`,
          `Delete them or re-create the missing ${item.parent} rows; a FOREIGN KEY on ${table.name}(${item.columns.join(', ')}) would prevent it`,
          { table: table.name, column: item.columns[0], milestone: item.milestone, ...(rowid !== undefined ? { rowid } : {}) },
          { count: r.total },
        ),
      ];
    },
  };
}

function uniquenessEnforced(table: TableInfo, columns: string[]): boolean {
  const want = new Set(columns.map((c) => c.toLowerCase()));
  const pk = table.columns.filter((c) => c.pk > 0).map((c) => c.name.toLowerCase());
  if (pk.length > 0 && pk.every((c) => want.has(c))) return true;
  return table.indexes.some((i) => i.unique && !i.partial && i.columns.every((c) => want.has(c.toLowerCase())));
}

function hasForeignKey(table: TableInfo, item: DeclaredReference): boolean {
  return table.foreignKeys.some(
    (fk) =>
      fk.parent.toLowerCase() === item.parent.toLowerCase() &&
      fk.from.length === item.columns.length &&
      fk.from.every((c, i) => c.toLowerCase() === item.columns[i]!.toLowerCase()),
  );
}
