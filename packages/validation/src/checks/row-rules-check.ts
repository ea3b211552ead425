import { quoteIdentifier as q } from '@mfmig/core';
import { finding } from '../report/finding-codes.js';
import type { ValidationFinding } from '../report/types.js';
import { columnOfExpression, extractCheckConstraints } from '../schema/check-constraints.js';
import { type TableInfo, findTable } from '../schema/schema-model.js';
import { type CheckEnv, type CheckId, type ProbeTask, ridOf } from './check-env.js';

/** One rule a single row can break, as a SQL condition that is true for a bad row. */
interface RowRule {
  check: CheckId;
  bad: string;
  params: unknown[];
  /** An expression whose value shows what is wrong (the offending value). */
  sample?: string;
  report(count: number, rowid: number | undefined, sample: unknown): ValidationFinding;
}

/**
 * One probe per table for every rule a row can break on its own (standard level and above):
 * its CHECK constraints (which SQLite does not load on a read-only connection, so that its own
 * checks cannot see them there), the declared domains, and the declared required columns the
 * schema leaves nullable. A single scan counts, per rule, the bad rows, the first rowid and one
 * offending value. A row breaks a CHECK when the expression is false (NULL passes), exactly
 * where `NOT (expr)` is true (a NULL there leaves the row out of the WHERE).
 *
 * @example
 * rowRuleProbes(env).map((t) => t.check.target); // ['kb_entries', 'kb_feedback', ...]
 */
export function rowRuleProbes(env: CheckEnv): ProbeTask[] {
  const byTable = new Map<TableInfo, RowRule[]>();
  const add = (table: TableInfo, rule: RowRule) => byTable.set(table, [...(byTable.get(table) ?? []), rule]);
  for (const table of env.schema.tables.values()) for (const rule of checkRules(table)) add(table, rule);
  const column = (table: TableInfo, name: string) => table.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  for (const item of env.requirements?.domains ?? []) {
    const table = findTable(env.schema, item.table);
    if (!table || !column(table, item.column)) continue;
    const c = q(item.column);
    add(table, {
      check: { id: 'data.domain', kind: 'data', target: `${table.name}.${item.column}` },
      bad: `(${c} IS NOT NULL AND ${c} NOT IN (${item.values.map(() => '?').join(', ')}))`,
      params: item.values,
      sample: c,
      report: (count, rowid, sample) =>
        finding(
          'DATA_DOMAIN_VIOLATION',
          `${count} row(s) of ${table.name} have ${item.column} outside the values MVP${item.milestone} allows (${item.values.join(', ')}), e.g. '${String(sample)}'${where(rowid)}`,
          `Map these values onto the allowed ones with an UPDATE (or a data transformation), or extend the domain in mvp${item.milestone}/milestone.json if they are legitimate`,
          { table: table.name, column: item.column, milestone: item.milestone, ...at(rowid) },
          { count },
        ),
    });
  }
  for (const item of env.requirements?.notNull ?? []) {
    const table = findTable(env.schema, item.table);
    const col = table && column(table, item.column);
    if (!table || !col || col.notNull) continue;
    add(table, {
      check: { id: 'data.required', kind: 'data', target: `${table.name}.${item.column}` },
      bad: `${q(item.column)} IS NULL`,
      params: [],
      report: (count, rowid) =>
        finding(
          'DATA_NULL_REQUIRED',
          `${count} row(s) of ${table.name} have no ${item.column}, which MVP${item.milestone} requires${where(rowid)}`,
          `Fill in ${item.column} for these rows (SELECT rowid FROM "${table.name}" WHERE "${item.column}" IS NULL), then consider a NOT NULL constraint`,
          { table: table.name, column: item.column, milestone: item.milestone, ...at(rowid) },
          { count },
        ),
    });
  }
  return [...byTable].map(([table, rules]) => probeFor(table, rules));
}

function checkRules(table: TableInfo): RowRule[] {
  return extractCheckConstraints(table.sql).map((expression) => {
    const column = columnOfExpression(
      expression,
      table.columns.map((c) => c.name),
    );
    return {
      check: { id: 'data.check_constraints', kind: 'data', target: table.name },
      bad: `NOT (${expression})`,
      params: [],
      report: (count, rowid) =>
        finding(
          'DATA_CHECK_VIOLATION',
          `${count} row(s) of ${table.name} break CHECK (${expression})${where(rowid)}`,
          `Find them with SELECT rowid, * FROM "${table.name}" WHERE NOT (${expression}) and correct them; they were written with CHECK constraints ignored`,
          { table: table.name, ...(column ? { column } : {}), ...at(rowid) },
          { count },
        ),
    };
  });
}

function probeFor(table: TableInfo, rules: RowRule[]): ProbeTask {
  // Each rule is evaluated once per row, in the WHERE; the aggregates only see the bad rows
  // (SQLite flattens the subquery), so a healthy table costs one filtered scan.
  const inner = [`${table.withoutRowid ? 'NULL' : 'rowid'} AS rid`];
  const outer: string[] = [];
  rules.forEach((rule, i) => {
    inner.push(`(${rule.bad}) AS b${i}`);
    outer.push(`sum(b${i}) AS f${i}`, `min(CASE WHEN b${i} THEN rid END) AS r${i}`);
    if (rule.sample) {
      inner.push(`substr(CAST(${rule.sample} AS TEXT), 1, 60) AS s${i}`);
      outer.push(`min(CASE WHEN b${i} THEN s${i} END) AS v${i}`);
    }
  });
  const any = rules.map((rule) => `(${rule.bad})`).join(' OR ');
  const sql = `SELECT ${outer.join(', ')} FROM (SELECT ${inner.join(', ')} FROM ${q(table.name)} WHERE ${any})`;
  const params = [...rules.flatMap((r) => r.params), ...rules.flatMap((r) => r.params)];
  const covers = [...new Map(rules.map((r) => [`${r.check.id}/${r.check.target}`, r.check])).values()];
  return {
    probe: { id: `rows:${table.name}`, sql, params, keep: 1, weight: 8 },
    check: covers[0]!,
    covers,
    interpret: (result) => {
      const row = result.rows[0] ?? {};
      return rules.flatMap((rule, i) => {
        const count = Number(row[`f${i}`] ?? 0);
        return count > 0 ? [rule.report(count, ridOf({ rid: row[`r${i}`] }), row[`v${i}`])] : [];
      });
    },
  };
}

const where = (rowid: number | undefined) => (rowid !== undefined ? `, first at rowid ${rowid}` : '');
const at = (rowid: number | undefined) => (rowid !== undefined ? { rowid } : {});
