import { formatCount } from '@mfmig/core';
import type { Migration } from '@mfmig/core';
import type { ForeignKeyEdge } from '../analysis/foreign-key-graph.js';
import type { TightenedColumn } from '../analysis/not-null-columns.js';
import type { PlannedOperation, RehearsalFailure, RiskLevel, RuleFinding } from '../plan/plan-types.js';
import { type RemovalAtRisk, danglingFindings, removalFindings } from './foreign-key-rules.js';

/** Row counts from which an operation's risk rises (policy, not estimates). */
export interface RiskThresholds {
  mediumRows: number;
  highRows: number;
  criticalRows: number;
}

/**
 * Default row thresholds: 10k rows make an operation medium risk, 100k high, 1M critical (per rule).
 *
 * @example
 * new MigrationPlanner(config, { riskThresholds: { ...DEFAULT_RISK_THRESHOLDS, highRows: 50_000 } });
 */
export const DEFAULT_RISK_THRESHOLDS: RiskThresholds = { mediumRows: 10_000, highRows: 100_000, criticalRows: 1_000_000 };

/**
 * What a rule looks at: one step, its operations (with rows and estimated seconds), and the
 * foreign keys as the schema will be at that step (from the planner's schema simulation, not
 * the live schema: earlier steps of the plan may have added or removed them).
 */
export interface RuleInput {
  migration: Migration;
  direction: 'up' | 'down';
  operations: PlannedOperation[];
  thresholds: RiskThresholds;
  /** Child tables as the step starts (lower-case parent name -> children with their ON DELETE action). */
  children: Map<string, { table: string; onDelete: string }[]>;
  /** Foreign key enforcement while the step runs. Default: the migration's declared mode. */
  foreignKeys?: 'on' | 'off';
  /** Statements of the step that remove parent rows with foreign keys on, with the child rows at risk. */
  removals?: RemovalAtRisk[];
  /** Foreign keys the step leaves pointing at a table that no longer exists. */
  dangling?: ForeignKeyEdge[];
  /** The plan's rehearsal failure, if a migration failed in it. */
  rehearsalFailure?: RehearsalFailure;
}

/** A rule of the risk analysis: an id, what it looks for, and the check. */
export interface RiskRule {
  id: string;
  description: string;
  check(input: RuleInput): RuleFinding[];
}

const fmt = (n: number) => formatCount(n);
const secs = (s: number) => (s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(1)} s`);

function byRows(rows: number, t: RiskThresholds, levels: [RiskLevel, RiskLevel, RiskLevel, RiskLevel]): RiskLevel {
  if (rows >= t.criticalRows) return levels[3];
  if (rows >= t.highRows) return levels[2];
  if (rows >= t.mediumRows) return levels[1];
  return levels[0];
}

const bump = (level: RiskLevel): RiskLevel => (level === 'low' ? 'medium' : level === 'medium' ? 'high' : 'critical');

function each(kinds: PlannedOperation['kind'][], input: RuleInput, fn: (op: PlannedOperation) => RuleFinding | undefined): RuleFinding[] {
  return input.operations
    .filter((op) => kinds.includes(op.kind))
    .map(fn)
    .filter((f): f is RuleFinding => f !== undefined);
}

/**
 * The rules, in the order their findings are listed. Each looks at the real operations of a
 * step (statements and declared transformations) and the live row counts, like a migration
 * linter.
 *
 * @example
 * RISK_RULES.map((r) => r.id); // ['drop-table', 'drop-column', ...]
 */
export const RISK_RULES: RiskRule[] = [
  {
    id: 'drop-table',
    description: 'A table is dropped: its rows are lost unless a backup or archive keeps them',
    check: (input) =>
      each(['drop-table'], input, (op) =>
        op.rows === 0
          ? { rule: 'drop-table', severity: 'low', explanation: `drops table ${op.table}, which is empty` }
          : {
              rule: 'drop-table',
              severity: op.rows >= input.thresholds.criticalRows ? 'critical' : 'high',
              explanation: `drops table ${op.table} with ${fmt(op.rows)} rows: they are lost unless a backup or archive keeps them`,
            },
      ),
  },
  {
    id: 'drop-column',
    description: 'A column is dropped: its values are lost, and SQLite rewrites the table',
    check: (input) =>
      each(['drop-column'], input, (op) => ({
        rule: 'drop-column',
        severity: op.rows > 0 ? 'high' : 'low',
        explanation: `drops column ${op.table}.${String(op.flags.column)}: the values of ${fmt(op.rows)} rows are lost and the table is rewritten`,
      })),
  },
  {
    id: 'delete-rows',
    description: 'Rows are deleted',
    check: (input) =>
      each(['delete'], input, (op) =>
        op.rows === 0
          ? undefined
          : {
              rule: 'delete-rows',
              severity: op.flags.hasWhere ? byRows(op.rows, input.thresholds, ['low', 'medium', 'high', 'high']) : 'high',
              explanation: `deletes ${op.flags.hasWhere ? 'some of the' : 'all'} ${fmt(op.rows)} rows of ${op.table}`,
            },
      ),
  },
  {
    id: 'table-rebuild',
    description: 'A table is rebuilt (copied into a new table): cost and lock time grow with its rows',
    check: (input) =>
      each(['table-rebuild'], input, (op) => {
        // a child table with two keys to the parent is still one table
        const children = [...new Set((input.children.get((op.table ?? '').toLowerCase()) ?? []).map((c) => c.table))];
        const off = (input.foreignKeys ?? input.migration.foreignKeys) === 'off';
        return {
          rule: 'table-rebuild',
          severity: byRows(op.rows, input.thresholds, ['low', 'medium', 'high', 'critical']),
          explanation: `rebuilds ${op.table}: copies ${fmt(op.rows)} rows into a new table (about ${secs(op.estimatedSeconds)}, ${op.flags.online ? 'online: in batches while triggers carry writes across, then a short swap' : 'writers wait'})${children.length && off ? `; ${children.length} child table(s) kept with foreign keys off` : ''}`,
          details: { children, foreignKeys: off ? 'off' : 'on' },
        };
      }),
  },
  {
    id: 'cascade-delete',
    description: 'A statement removes parent rows with foreign keys on: ON DELETE CASCADE deletes the rows of child tables',
    check: (input) => removalFindings(input, ['CASCADE'], 'cascade-delete', (r, rows) => `ON DELETE CASCADE deletes ${rows} of ${r.child.table}`),
  },
  {
    id: 'cascade-set-null',
    description: 'A statement removes parent rows with foreign keys on: ON DELETE SET NULL / SET DEFAULT cuts the links of child rows',
    check: (input) =>
      removalFindings(
        input,
        ['SET NULL', 'SET DEFAULT'],
        'cascade-set-null',
        (r, rows) => `ON DELETE ${r.child.onDelete} overwrites ${r.child.table}.${r.child.columns.join(', ')} in ${rows}: their links to ${r.parent} are lost`,
      ),
  },
  {
    id: 'dangling-foreign-key',
    description: 'A step leaves a foreign key pointing at a table that no longer exists (the rename-first rebuild trap)',
    check: (input) => danglingFindings(input),
  },
  {
    id: 'rehearsal-failed',
    description: 'The migration failed when the plan was rehearsed on a copy of the data: it will fail on the real database',
    check: (input) => {
      const f = input.rehearsalFailure;
      if (!f || f.version !== input.migration.version || f.direction !== input.direction) return [];
      const on = f.fraction === 0 ? 'the schema alone' : f.fraction >= 1 ? 'a full copy of the data' : `a ${(f.fraction * 100).toFixed(2)}% sample of the data`;
      return [
        { rule: 'rehearsal-failed', severity: 'critical', explanation: `failed when rehearsed on ${on}: ${f.message}`, details: { statement: f.statement } },
      ];
    },
  },
  {
    id: 'not-null-addition',
    description: 'A column becomes NOT NULL: existing rows must have a value',
    check: (input) => [
      ...each(['add-column'], input, (op) => {
        if (!op.flags.notNull) return undefined;
        if (op.flags.hasDefault)
          return {
            rule: 'not-null-addition',
            severity: 'low',
            explanation: `adds NOT NULL column ${op.table}.${String(op.flags.column)} with a default: ${fmt(op.rows)} existing rows get the default`,
          };
        return op.rows > 0
          ? {
              rule: 'not-null-addition',
              severity: 'critical',
              explanation: `adds NOT NULL column ${op.table}.${String(op.flags.column)} without a default to a table with ${fmt(op.rows)} rows: SQLite refuses it, the migration will fail`,
            }
          : {
              rule: 'not-null-addition',
              severity: 'medium',
              explanation: `adds NOT NULL column ${op.table}.${String(op.flags.column)} without a default: fine on the empty table now, but inserts of the running application that omit it fail`,
            };
      }),
      ...input.operations
        .filter((op) => op.kind === 'table-rebuild')
        .flatMap((op) =>
          ((op.flags.tightened as TightenedColumn[] | undefined) ?? []).map((c): RuleFinding =>
            c.nulls > 0
              ? {
                  rule: 'not-null-addition',
                  severity: 'critical',
                  explanation: `rebuild makes ${op.table}.${c.column} NOT NULL but ${fmt(c.nulls)} rows hold NULL there: the copy will fail unless the migration fills them`,
                }
              : {
                  rule: 'not-null-addition',
                  severity: 'medium',
                  explanation: `rebuild makes ${op.table}.${c.column} NOT NULL (no NULL today): writes of NULL will fail from now on`,
                },
          ),
        ),
    ],
  },
  {
    id: 'data-transformation',
    description: 'Data is transformed: the rows touched decide how long it runs and how much can go wrong',
    check: (input) =>
      each(['transformation', 'update', 'insert-select'], input, (op) => {
        if (op.rows === 0 && op.rowsWritten === 0) return undefined;
        let severity = byRows(Math.max(op.rows, op.rowsWritten), input.thresholds, ['low', 'medium', 'high', 'high']);
        const irreversible = op.kind === 'transformation' && op.flags.reversible === false;
        if (irreversible) severity = bump(severity);
        const what = op.kind === 'transformation' ? `transformation ${op.statement}` : op.kind === 'update' ? `UPDATE of ${op.table}` : `copy into ${op.table}`;
        return {
          rule: 'data-transformation',
          severity,
          explanation: `${what} over ${fmt(op.rows)} rows${op.rowsWritten ? ` (about ${fmt(op.rowsWritten)} written)` : ''}${op.flags.rowFunction ? ', a JavaScript row function' : ''}${op.flags.batched ? ', in batches outside the migration transaction' : ''}${irreversible ? '; declared not reversible' : ''}, about ${secs(op.estimatedSeconds)}`,
        };
      }),
  },
  {
    id: 'irreversible',
    description: 'The migration declares that its down cannot restore what up changed',
    check: (input) =>
      !input.migration.irreversible
        ? []
        : input.direction === 'up'
          ? [{ rule: 'irreversible', severity: 'high', explanation: 'declared irreversible: its down cannot restore what it changes; only a backup can' }]
          : [
              {
                rule: 'irreversible',
                severity: 'critical',
                explanation: 'declared irreversible: going down loses what its up changed (restore a backup to keep it)',
              },
            ],
  },
  {
    id: 'missing-down',
    description: 'There is no down migration: the step can only be undone from a backup',
    check: (input) => {
      if (input.direction !== 'up' || input.migration.down) return [];
      const destructive = input.operations.some(
        (op) => ['drop-table', 'drop-column', 'delete', 'table-rebuild', 'transformation', 'update'].includes(op.kind) && op.rows > 0,
      );
      return [
        {
          rule: 'missing-down',
          severity: destructive ? 'high' : 'medium',
          explanation: `has no down migration${destructive ? ' and changes existing data' : ''}: it can only be undone by restoring a backup`,
        },
      ];
    },
  },
  {
    id: 'rename',
    description: 'A table or column is renamed: queries of the application still running break',
    check: (input) =>
      each(['rename-table', 'rename-column'], input, (op) => ({
        rule: 'rename',
        severity: 'medium',
        explanation:
          op.kind === 'rename-table'
            ? `renames table ${op.table} to ${String(op.flags.to)}: the running application's queries on ${op.table} break`
            : `renames column ${op.table}.${String(op.flags.column)} to ${String(op.flags.to)}: queries using the old name break`,
      })),
  },
  {
    id: 'index-build',
    description: 'An index is built on a populated table: writers wait while it is built',
    check: (input) =>
      each(['create-index'], input, (op) =>
        op.rows < input.thresholds.mediumRows
          ? undefined
          : {
              rule: 'index-build',
              severity: op.flags.unique
                ? bump(byRows(op.rows, input.thresholds, ['low', 'low', 'medium', 'high']))
                : byRows(op.rows, input.thresholds, ['low', 'low', 'medium', 'high']),
              explanation: `builds ${op.flags.unique ? 'unique ' : ''}index ${String(op.flags.to)} over ${fmt(op.rows)} rows of ${op.table} (about ${secs(op.estimatedSeconds)})${op.flags.unique ? '; fails if duplicates exist' : ''}`,
            },
      ),
  },
];

/**
 * Runs every rule on a step.
 *
 * @example
 * analyzeRisk({ migration, direction: 'up', operations, thresholds: DEFAULT_RISK_THRESHOLDS, children: new Map(), removals: [], dangling: [] });
 */
export function analyzeRisk(input: RuleInput): RuleFinding[] {
  return RISK_RULES.flatMap((rule) => rule.check(input));
}
