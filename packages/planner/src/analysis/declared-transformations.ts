/** The fields of a declared data transformation the planner reads (the transformer validates the rest). */
export interface DeclaredTransformation {
  id: string;
  sourceTable: string;
  targetTable: string;
  transformationType: string;
  sql?: string;
  transform?: (row: Record<string, unknown>) => unknown;
  reversible: boolean;
  reverse?: unknown;
  estimatedRows?: number;
  batch: 'auto' | 'always' | 'never';
  batchSize?: number;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Reads `migration.transformations` (declared as `unknown[]` by the core) into what the planner
 * needs, expanding the steps of `migrate` transformations. Entries without a source or target
 * table are skipped (the transformer rejects them when the migration runs).
 *
 * @example
 * declaredTransformations(migration.transformations).map((t) => t.sourceTable);
 */
export function declaredTransformations(list: readonly unknown[]): DeclaredTransformation[] {
  const out: DeclaredTransformation[] = [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue;
    const t = item as Record<string, unknown>;
    if (t.transformationType === 'migrate' && Array.isArray(t.steps)) {
      out.push(...declaredTransformations(t.steps));
      continue;
    }
    const sourceTable = asString(t.sourceTable);
    const targetTable = asString(t.targetTable);
    if (!sourceTable || !targetTable) continue;
    out.push({
      id: asString(t.id) ?? `${sourceTable}->${targetTable}`,
      sourceTable,
      targetTable,
      transformationType: asString(t.transformationType) ?? 'convert',
      sql: asString(t.sql),
      transform: typeof t.transform === 'function' ? (t.transform as DeclaredTransformation['transform']) : undefined,
      reversible: t.reversible === true,
      reverse: t.reverse,
      estimatedRows: typeof t.estimatedRows === 'number' ? t.estimatedRows : undefined,
      batch: t.batch === 'always' || t.batch === 'never' ? t.batch : 'auto',
      batchSize: typeof t.batchSize === 'number' ? t.batchSize : undefined,
    });
  }
  return out;
}
