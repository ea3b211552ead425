import type { PartitionInfo, SchemaObjects } from './dialect.js';
import { type SchemaChange, adder, breaking, compatible } from './schema-compare.js';

const partOf = (p: PartitionInfo | undefined) => (p?.partitionOf ? `${p.partitionOf} ${p.bound ?? ''}`.trim() : null);

/**
 * The partitioning of tables on both sides: a partition key that changed (or a table that became,
 * or stopped being, partitioned) breaks, as does a partition detached from its table (the parent's
 * reads no longer see its rows, and its writes for that range fail) or moved to another bound;
 * one attached is compatible.
 *
 * @example
 * comparePartitions(before, after, changes);
 */
export function comparePartitions(from: SchemaObjects, to: SchemaObjects, changes: SchemaChange[]): void {
  const add = adder(changes, 'table');
  const before = new Map(from.partitions.map((p) => [p.table, p]));
  const after = new Map(to.partitions.map((p) => [p.table, p]));
  const common = to.tables.filter((t) => from.tables.some((f) => f.name === t.name)).map((t) => t.name);
  for (const table of common) {
    const [x, y] = [before.get(table), after.get(table)];
    const key = (p: PartitionInfo | undefined) => p?.partitionKey ?? null;
    if (key(x) !== key(y)) {
      const verdict = breaking('partitioning changed: where rows go, and which writes fail, changed');
      add('partitioning-changed', table, `table ${table}: partition key ${key(x) ?? 'none'} -> ${key(y) ?? 'none'}`, verdict, x, y);
    }
    if (partOf(x) === partOf(y)) continue;
    const description = !partOf(y)
      ? `table ${table}: detached from ${partOf(x)}`
      : !partOf(x)
        ? `table ${table}: attached to ${partOf(y)}`
        : `table ${table}: partition of ${partOf(x)} -> ${partOf(y)}`;
    const verdict = !partOf(x)
      ? compatible('partition attached: its parent now reads and routes its rows')
      : breaking("partition detached or moved: its parent's reads miss its rows, and writes for its range fail");
    add('partitioning-changed', table, description, verdict, x, y);
  }
}
