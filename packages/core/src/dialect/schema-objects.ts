import type { SchemaObjects, TableInfo } from './dialect.js';

/**
 * A schema holding `tables` and no object beside them: what a list of tables alone stands for, or
 * the empty schema.
 *
 * @example
 * schemaOfTables(await conn.introspector.tables()).views; // []
 */
export function schemaOfTables(tables: TableInfo[] = []): SchemaObjects {
  return {
    tables,
    views: [],
    checks: [],
    triggers: [],
    routines: [],
    enumTypes: [],
    domains: [],
    compositeTypes: [],
    sequences: [],
    partitions: [],
    columnKinds: [],
  };
}
