import type { DatabaseIntrospector, TableInfo as BoundaryTable, ViewInfo } from '@mfmig/core';
import { type IndexInfo, type SchemaModel, type TableInfo, normaliseSql } from './schema-model.js';

/**
 * The schema model the catalog checks read, built from any dialect's introspector (the async
 * boundary's `tables()` and `views()`), for the checks that need no SQLite-only facts: milestone
 * compliance and the expected schema on PostgreSQL. Tables have no rowid, and no triggers or root
 * pages are read.
 *
 * @example
 * const schema = await schemaModelOf(conn.introspector);
 * findTable(schema, 'kb_entries')?.indexes.map((i) => i.name);
 */
export async function schemaModelOf(introspector: DatabaseIntrospector): Promise<SchemaModel> {
  return schemaModelFrom(await introspector.tables(), await introspector.views());
}

/**
 * {@link schemaModelOf} from what an introspector returned earlier (a scratch schema's tables and
 * views, read before it was dropped).
 *
 * @example
 * const schema = schemaModelFrom(await conn.introspector.tables(), await conn.introspector.views());
 */
export function schemaModelFrom(tables: readonly BoundaryTable[], views: readonly ViewInfo[]): SchemaModel {
  return {
    tables: new Map(tables.map((t) => [t.name, tableOf(t)])),
    views: new Map(views.map((v) => [v.name, { name: v.name, sql: v.definition }])),
    triggers: new Map(),
    rootPages: new Map(),
  };
}

function tableOf(t: BoundaryTable): TableInfo {
  return {
    name: t.name,
    withoutRowid: true,
    sql: '',
    columns: t.columns.map((c) => ({
      name: c.name,
      type: c.type,
      notNull: !c.nullable,
      defaultValue: c.defaultSql,
      pk: t.primaryKey.indexOf(c.name) + 1,
      hidden: c.generated ? 2 : 0,
    })),
    foreignKeys: t.foreignKeys.map((fk, id) => ({
      id,
      parent: fk.referencedTable,
      from: fk.columns,
      to: fk.referencedColumns,
      onDelete: fk.onDelete,
      onUpdate: 'NO ACTION',
    })),
    indexes: t.indexes.map((i): IndexInfo => {
      // a partial index's predicate as the database prints it after WHERE (casts and parentheses included:
      // the index checks compare predicates without them)
      const predicate = /\sWHERE\s+(.*)$/is.exec(i.definition)?.[1]?.trim() ?? null;
      return {
        name: i.name,
        table: t.name,
        unique: i.unique,
        origin: 'c',
        partial: predicate !== null,
        columns: i.columns,
        keys: i.columns,
        where: predicate === null ? null : normaliseSql(predicate),
        sql: i.definition,
      };
    }),
  };
}
