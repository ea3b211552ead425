import { MfmigError, type SqliteProgram, type SqliteSchemaRow, messageOf, sqliteStep } from '@mfmig/core';
import { tokenizeSql } from '../sql/sql-tokenizer.js';
import type { RebuildStepOptions } from './rebuild-steps.js';

interface SavedObject {
  name: string;
  sql: string;
}

/** What a rebuild must put back: the table's indexes and triggers, every view, and triggers elsewhere that depend on it. */
export interface SavedDependents {
  indexes: SavedObject[];
  triggers: SavedObject[];
  views: SavedObject[];
  /** Triggers on other tables that mention the table, and triggers on views (dropped with their view). */
  otherTriggers: (SavedObject & { onView: boolean })[];
}

function mentions(sql: string, name: string): boolean {
  const lower = name.toLowerCase();
  return tokenizeSql(sql).some(
    (t) => (t.kind === 'word' || t.kind === 'identifier' || t.kind === 'string') && t.value.replace(/^'|'$/g, '').toLowerCase() === lower,
  );
}

/** Step 3: remembers the SQL of everything the rebuild drops, directly or through DROP TABLE. */
export function* saveDependents(table: string): SqliteProgram<SavedDependents> {
  const rows = (yield* sqliteStep.catalog()).filter(
    (r): r is SqliteSchemaRow & { sql: string } => r.sql !== null && (r.type === 'index' || r.type === 'trigger' || r.type === 'view'),
  );
  const lower = table.toLowerCase();
  const views = rows.filter((r) => r.type === 'view');
  const viewNames = new Set(views.map((v) => v.name.toLowerCase()));
  return {
    indexes: rows.filter((r) => r.type === 'index' && r.tbl_name.toLowerCase() === lower),
    triggers: rows.filter((r) => r.type === 'trigger' && r.tbl_name.toLowerCase() === lower),
    views,
    otherTriggers: rows
      .filter((r) => r.type === 'trigger' && r.tbl_name.toLowerCase() !== lower && (viewNames.has(r.tbl_name.toLowerCase()) || mentions(r.sql, table)))
      .map((r) => ({ name: r.name, sql: r.sql, onView: viewNames.has(r.tbl_name.toLowerCase()) })),
  };
}

/** Step 9: recreates indexes (skipping those whose columns are gone), triggers and views. */
export function* recreateDependents(
  table: string,
  saved: SavedDependents,
  indexes: string[] | undefined,
  options: RebuildStepOptions,
): SqliteProgram<{ indexesRecreated: number; triggersRecreated: number; viewsRecreated: number }> {
  let indexesRecreated = 0;
  if (indexes) {
    for (const sql of indexes) yield* sqliteStep.exec(sql);
    indexesRecreated = indexes.length;
  } else {
    for (const index of saved.indexes) {
      yield* sqliteStep.exec('SAVEPOINT mfmig_rebuild_index');
      try {
        yield* sqliteStep.exec(index.sql);
        indexesRecreated++;
      } catch (error) {
        yield* sqliteStep.exec('ROLLBACK TO mfmig_rebuild_index');
        if (!/no such column/i.test(fullMessage(error))) throw error;
        options.warn?.(`Index ${index.name} of ${table} not recreated: a column it uses is gone`);
      }
      yield* sqliteStep.exec('RELEASE mfmig_rebuild_index');
    }
  }
  function* recreate(kind: string, objects: SavedObject[]): SqliteProgram<number> {
    for (const object of objects) {
      try {
        yield* sqliteStep.exec(object.sql);
      } catch (error) {
        throw new MfmigError(
          'MIGRATION_FAILED',
          `Rebuild of ${table}: ${kind} ${object.name} cannot be recreated on the new table (${fullMessage(error)}); drop or rewrite it in the migration`,
          {
            cause: error,
            context: { table, object: object.name },
          },
        );
      }
    }
    return objects.length;
  }
  const triggersRecreated = yield* recreate('trigger', saved.triggers);
  const viewsRecreated = yield* recreate('view', saved.views);
  yield* recreate('trigger', saved.otherTriggers);
  return { indexesRecreated, triggersRecreated, viewsRecreated };
}

function fullMessage(error: unknown): string {
  const cause = error instanceof Error && error.cause !== undefined ? ` ${messageOf(error.cause)}` : '';
  return `${messageOf(error)}${cause}`;
}
