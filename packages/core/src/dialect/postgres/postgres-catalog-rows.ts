/**
 * The rows the PostgreSQL introspector reads from the catalogs, turned into the dialect boundary's
 * shapes (`TableInfo`'s parts, routines, domains, sequences, partitions), and the ordering and
 * canonical JSON its lists and fingerprint rest on: an order that never depends on a locale.
 */
import type { ColumnInfo, ColumnKindInfo, DomainInfo, ForeignKeyInfo, IndexInfo, PartitionInfo, RoutineInfo, SequenceInfo } from '../dialect.js';
import { asBoolean, asJson } from './postgres-catalog-queries.js';

export type Row = Record<string, unknown>;

/** `confdeltype` as `ON DELETE` spells it. */
const ON_DELETE: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

/** The rows of one table name, keyed by `table_name`. */
export function groupByTable(rows: Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const name = String(row.table_name);
    const group = groups.get(name);
    if (group) group.push(row);
    else groups.set(name, [row]);
  }
  return groups;
}

/** Compares by a string key in code-unit order, so the order never depends on a locale or collation. */
export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

export const byName = byKey((item: { name: string }) => item.name);

/** JSON with object keys sorted, so equal values always print the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(byKey(([key]) => key));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Rows sorted by their canonical JSON. */
export function sortedRows(rows: Row[]): Row[] {
  return [...rows].sort(byKey(canonicalJson));
}

export function toColumn(row: Row): ColumnInfo {
  return { name: String(row.name), type: String(row.type), nullable: asBoolean(row.nullable), defaultSql: orNull(row.default_sql) };
}

export function toIndex(row: Row): IndexInfo {
  return {
    name: String(row.name),
    table: String(row.table_name),
    columns: asJson<string[]>(row.columns),
    unique: asBoolean(row.is_unique),
    valid: asBoolean(row.is_valid),
    definition: String(row.definition),
  };
}

export function toForeignKey(row: Row, schema: string): ForeignKeyInfo {
  return {
    name: String(row.name),
    table: String(row.table_name),
    columns: asJson<string[]>(row.columns),
    referencedTable: String(row.referenced_schema === schema ? row.referenced_table : row.referenced_qualified),
    referencedColumns: asJson<string[]>(row.referenced_columns),
    onDelete: ON_DELETE[String(row.on_delete)] ?? 'NO ACTION',
    validated: asBoolean(row.validated),
  };
}

const ROUTINE_KINDS: Record<string, RoutineInfo['kind']> = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window' };
export const IDENTITY: Record<string, ColumnKindInfo['identity']> = { a: 'always', d: 'by default' };
export const orNull = (value: unknown) => (value == null ? null : String(value));
export const byTableThenName = byKey((item: { table: string; name: string }) => `${item.table}\u0000${item.name}`);

/** A routine's definition without the schema `pg_get_functiondef` always puts before its name. */
export function toRoutine(row: Row): RoutineInfo {
  const prefix = String(row.schema_prefix);
  const definition = orNull(row.definition);
  const header = definition === null ? -1 : definition.indexOf(` ${prefix}`);
  return {
    name: String(row.name),
    arguments: String(row.arguments),
    kind: ROUTINE_KINDS[String(row.kind)] ?? 'function',
    result: orNull(row.result),
    definition: definition === null || header < 0 ? definition : definition.slice(0, header + 1) + definition.slice(header + 1 + prefix.length),
  };
}

export function toDomain(row: Row): DomainInfo {
  return {
    name: String(row.name),
    baseType: String(row.base_type),
    notNull: asBoolean(row.not_null),
    defaultSql: orNull(row.default_sql),
    checks: asJson<string[]>(row.checks),
  };
}

export function toPartition(row: Row): PartitionInfo {
  return { table: String(row.table_name), partitionKey: orNull(row.partition_key), partitionOf: orNull(row.partition_of), bound: orNull(row.partition_bound) };
}

export function toSequence(row: Row): SequenceInfo {
  const [table, column] = [orNull(row.owner_table), orNull(row.owner_column)];
  return {
    name: String(row.name),
    dataType: String(row.data_type),
    start: String(row.start),
    increment: String(row.increment),
    min: String(row.min),
    max: String(row.max),
    cache: String(row.cache),
    cycle: asBoolean(row.cycle),
    ownedBy: table === null || column === null ? null : { table, column },
  };
}
