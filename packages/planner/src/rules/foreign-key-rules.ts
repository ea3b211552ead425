import { formatCount } from '@mfmig/core';
import type { Migration } from '@mfmig/core';
import type { ForeignKeyEdge } from '../analysis/foreign-key-graph.js';
import type { ParentRowRemoval } from '../analysis/schema-simulation.js';
import type { PlannedOperation, RiskLevel, RuleFinding } from '../plan/plan-types.js';
import type { RiskThresholds } from './risk-rules.js';

/** A parent-row removal of a step with the rows its child held when the step started. */
export type RemovalAtRisk = ParentRowRemoval & { childRows: number };

/** What the foreign-key rules look at: the step's operations and what the schema simulation saw. */
export interface ForeignKeyRuleInput {
  migration?: Pick<Migration, 'upSql' | 'downSql'>;
  direction?: 'up' | 'down';
  operations: PlannedOperation[];
  thresholds: RiskThresholds;
  removals?: RemovalAtRisk[];
  dangling?: ForeignKeyEdge[];
}

const fmt = (n: number) => formatCount(n);
const same = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/** The table the step renamed to `name` (a rename-first rebuild, or a plain rename), if any. */
function renamedTo(ops: PlannedOperation[], name: string): string | undefined {
  const op = ops.find((o) => (o.kind === 'table-rebuild' && same(o.flags.renamedTo, name)) || (o.kind === 'rename-table' && same(o.flags.to, name)));
  return op?.table;
}

/** The step rebuilds `table` (folded rebuild, or renames it away or into place). */
function rebuilds(ops: PlannedOperation[], table: string): boolean {
  return ops.some(
    (o) =>
      (o.kind === 'table-rebuild' && (same(o.table, table) || same(o.flags.renamedTo, table))) ||
      (o.kind === 'rename-table' && (same(o.table, table) || same(o.flags.to, table))),
  );
}

/** The step itself drops `table` or deletes all its rows: losing them through a cascade adds nothing. */
function removesItself(ops: PlannedOperation[], table: string): boolean {
  return ops.some((o) => same(o.table, table) && (o.kind === 'drop-table' || (o.kind === 'delete' && !o.flags.hasWhere)));
}

/** The SQL of the step says `PRAGMA foreign_keys = off`, which SQLite ignores inside the migration's transaction. */
function ignoredPragma(input: ForeignKeyRuleInput): string {
  const sql = input.direction === 'down' ? input.migration?.downSql : input.migration?.upSql;
  return sql && /\bPRAGMA\s+foreign_keys\s*=\s*['"]?(off|0|false|no)\b/i.test(sql)
    ? "The file's PRAGMA foreign_keys = off does nothing inside the migration's transaction. "
    : '';
}

function fixFor(r: RemovalAtRisk, ops: PlannedOperation[]): string {
  if (r.kind === 'drop-table' && rebuilds(ops, r.parent)) {
    return "Fix: declare `-- foreign-keys: off` in the file (a module: meta.foreignKeys = 'off') so that the runner switches foreign keys off outside the transaction, or rebuild with ctx.rebuildTable";
  }
  if (r.kind === 'drop-table')
    return `Fix: drop or empty ${r.child.table} first if its rows are meant to go, or declare \`-- foreign-keys: off\` and handle ${r.child.table} explicitly`;
  return `Fix: if those ${r.child.table} rows are meant to go, delete them explicitly before, so that the migration says so`;
}

function severityOf(r: RemovalAtRisk, t: RiskThresholds): RiskLevel | undefined {
  if (r.childRows === 0) return r.allRows ? 'medium' : undefined;
  if (r.allRows) return 'critical';
  return r.childRows >= t.highRows ? 'high' : 'medium';
}

/**
 * Findings for the parent-row removals whose child uses one of `actions` as ON DELETE.
 *
 * @example
 * removalFindings(input, ['CASCADE'], 'cascade-delete', (r, n) => `deletes ${n} rows of ${r.child.table}`);
 */
export function removalFindings(input: ForeignKeyRuleInput, actions: string[], rule: string, what: (r: RemovalAtRisk, rows: string) => string): RuleFinding[] {
  return (input.removals ?? [])
    .filter((r) => actions.includes(r.child.onDelete) && !removesItself(input.operations, r.child.table))
    .flatMap((r): RuleFinding[] => {
      const severity = severityOf(r, input.thresholds);
      if (!severity) return [];
      const rows =
        r.childRows === 0
          ? 'the rows (none at this step; on a database with rows they are hit)'
          : `${r.allRows ? 'all' : 'up to'} ${fmt(r.childRows)} row${r.childRows === 1 ? '' : 's'}`;
      return [
        {
          rule,
          severity,
          explanation: `${r.statement} runs with foreign keys on: ${what(r, rows)} (${r.child.table}.${r.child.columns.join(', ')} references ${r.parent}). ${ignoredPragma(input)}${fixFor(r, input.operations)}`,
          details: {
            statement: r.statement,
            parent: r.parent,
            child: r.child.table,
            columns: r.child.columns,
            onDelete: r.child.onDelete,
            rows: r.childRows,
            allRows: r.allRows,
          },
        },
      ];
    });
}

/**
 * Findings for foreign keys a step leaves pointing at a table that no longer exists, with the
 * rename-first rebuild trap explained when the step renamed a table to that name.
 *
 * @example
 * danglingFindings({ operations, thresholds, dangling: [{ table: 'book', columns: ['author_id'], parent: '_author_old', onDelete: 'CASCADE' }] });
 */
export function danglingFindings(input: ForeignKeyRuleInput): RuleFinding[] {
  return (input.dangling ?? []).map((d) => {
    const from = renamedTo(input.operations, d.parent);
    const where = `${d.table}.${d.columns.join(', ')}`;
    const breaks = `with foreign keys on, every insert into ${d.table} and every update of ${where} now fails (no such table: main.${d.parent})`;
    const explanation = from
      ? `leaves ${where} referencing "${d.parent}", a table that no longer exists: ALTER TABLE ${from} RENAME TO ${d.parent} rewrote the REFERENCES of ${d.table} to the new name (SQLite 3.26 and later), and ${d.parent} was dropped afterwards, the rename-first rebuild trap; ${breaks}. ` +
        `Fix: rebuild create-first (CREATE TABLE ${from}_new, copy the rows, DROP TABLE ${from}, ALTER TABLE ${from}_new RENAME TO ${from}), or rename with PRAGMA legacy_alter_table = ON and foreign keys off, or use ctx.rebuildTable`
      : `leaves ${where} referencing ${d.parent}, a table that no longer exists after this step; ${breaks}. Fix: drop ${d.table} or rebuild it without that reference in the same migration, or keep ${d.parent}`;
    return {
      rule: 'dangling-foreign-key',
      severity: 'critical',
      explanation,
      details: { table: d.table, columns: d.columns, parent: d.parent, ...(from ? { renamedFrom: from } : {}) },
    };
  });
}
