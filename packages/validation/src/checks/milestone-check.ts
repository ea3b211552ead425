import type { MilestoneRequirements } from '../milestone/merge-requirements.js';
import { finding } from '../report/finding-codes.js';
import type { MilestoneCompliance, ValidationFinding } from '../report/types.js';
import { type SchemaModel, findTable } from '../schema/schema-model.js';
import { hasLeadingIndex } from './index-check.js';

/**
 * Milestone compliance: every table, column, index (by leading columns, whatever its name)
 * and view that milestones 1..n declare, checked against the catalog. Findings name the
 * milestone whose feature is incomplete; `compliance` lists, per declared milestone, what is
 * missing.
 *
 * @example
 * const { compliance } = checkMilestoneCompliance(schema, requirements, [1, 2]);
 * compliance[0]; // { milestone: 1, complete: true, missing: [] }
 */
export function checkMilestoneCompliance(
  schema: SchemaModel,
  req: MilestoneRequirements,
  declared: number[],
): { findings: ValidationFinding[]; compliance: MilestoneCompliance[] } {
  const findings: ValidationFinding[] = [];
  const missing = new Map<number, string[]>(declared.map((m) => [m, []]));
  const miss = (mvp: number, feature: string, f: ValidationFinding) => {
    missing.get(mvp)?.push(feature);
    findings.push(f);
  };
  for (const t of req.tables) {
    if (!findTable(schema, t.table)) {
      miss(
        t.milestone,
        t.table,
        finding(
          'MILESTONE_TABLE_MISSING',
          `MVP${t.milestone} is incomplete: table ${t.table} is missing`,
          `Re-apply the MVP${t.milestone} migration that creates ${t.table} (roll back and migrate again), or restore a backup`,
          { table: t.table, milestone: t.milestone },
        ),
      );
    }
  }
  for (const c of req.columns) {
    const table = findTable(schema, c.table);
    if (table && !table.columns.some((col) => col.name.toLowerCase() === c.column.toLowerCase())) {
      miss(
        c.milestone,
        `${c.table}.${c.column}`,
        finding(
          'MILESTONE_COLUMN_MISSING',
          `MVP${c.milestone} is incomplete: column ${c.table}.${c.column} is missing`,
          `Restore the column through the migration that adds it, or restore a backup`,
          { table: c.table, column: c.column, milestone: c.milestone },
        ),
      );
    }
  }
  for (const i of req.indexes) {
    const table = findTable(schema, i.table);
    if (table && !hasLeadingIndex(table, i.columns, { ordered: true, unique: i.unique === true, where: i.where })) {
      const label = i.name ?? `${i.table}(${i.columns.join(', ')})`;
      miss(
        i.milestone,
        `index:${label}`,
        finding(
          'MILESTONE_INDEX_MISSING',
          `MVP${i.milestone} is incomplete: no ${i.unique ? 'unique ' : ''}index on ${i.table}(${i.columns.join(', ')})${i.name ? ` (${i.name})` : ''}`,
          `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX "${i.name ?? `idx_${i.table}_${i.columns.join('_')}`}" ON "${i.table}" (${i.columns.map((c) => `"${c}"`).join(', ')})${i.where ? ` WHERE ${i.where}` : ''}`,
          { table: i.table, milestone: i.milestone, ...(i.name ? { index: i.name } : {}) },
        ),
      );
    }
  }
  for (const v of req.views) {
    if (!schema.views.has(v.view)) {
      miss(
        v.milestone,
        `view:${v.view}`,
        finding(
          'MILESTONE_VIEW_MISSING',
          `MVP${v.milestone} is incomplete: view ${v.view} is missing`,
          `Recreate the view with the MVP${v.milestone} migration that defines it`,
          { object: v.view, milestone: v.milestone },
        ),
      );
    }
  }
  const compliance = declared.map((milestone) => ({ milestone, complete: missing.get(milestone)!.length === 0, missing: missing.get(milestone)! }));
  return { findings, compliance };
}
