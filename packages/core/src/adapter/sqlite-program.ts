import type { MigrationContext } from '../migration/index.js';
import type { ForeignKeyViolation } from './database-adapter.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { SqliteCatalogQuery, SqliteColumnEntry, SqliteSchemaRow, SqliteTableListEntry } from './sqlite-catalog.js';

/** What a {@link SqliteProgram} asks of the database, one request at a time. */
export type SqliteRequest =
  | { kind: 'catalog'; query: SqliteCatalogQuery }
  | { kind: 'columns'; table: string }
  | { kind: 'tableList' }
  | { kind: 'referencingTables'; table: string }
  | { kind: 'foreignKeyCheck'; table: string }
  | { kind: 'foreignKeysEnabled' }
  | { kind: 'exec'; sql: string }
  | { kind: 'run'; sql: string };

/**
 * SQLite work written once for both of mfmig's worlds: a generator that yields each
 * {@link SqliteRequest} and is handed its answer (or has the statement's error thrown into it, so
 * that its own `try`/`catch` sees a failed statement). {@link runSqliteProgram} answers on a
 * connection, asynchronously; {@link runSqliteProgramInMigration} answers inside a migration
 * body, synchronously, through `ctx.exec`, which is the contract of SQLite migrations.
 *
 * @example
 * function* tableCount(): SqliteProgram<number> {
 *   return (yield* sqliteStep.catalog({ type: 'table' })).length;
 * }
 * await runSqliteProgram(conn, tableCount()); // 12
 */
export type SqliteProgram<T> = Generator<SqliteRequest, T, unknown>;

/**
 * The requests of a {@link SqliteProgram}, typed: `yield*` one to get its answer.
 *
 * @example
 * const columns = yield* sqliteStep.columns('kb_entries');
 */
export const sqliteStep = {
  /** The catalog rows (`sqlite_schema`) matching `query` (see `SqliteIntrospector.catalog`). */
  *catalog(query: SqliteCatalogQuery = {}): SqliteProgram<SqliteSchemaRow[]> {
    return (yield { kind: 'catalog', query }) as SqliteSchemaRow[];
  },
  /** The columns of a table, hidden ones included (`pragma_table_xinfo`). */
  *columns(table: string): SqliteProgram<SqliteColumnEntry[]> {
    return (yield { kind: 'columns', table }) as SqliteColumnEntry[];
  },
  /** Every table of the main schema (`pragma_table_list`). */
  *tableList(): SqliteProgram<SqliteTableListEntry[]> {
    return (yield { kind: 'tableList' }) as SqliteTableListEntry[];
  },
  /** The tables whose foreign keys name `table`. */
  *referencingTables(table: string): SqliteProgram<string[]> {
    return (yield { kind: 'referencingTables', table }) as string[];
  },
  /** `PRAGMA foreign_key_check` of one table. */
  *foreignKeyCheck(table: string): SqliteProgram<ForeignKeyViolation[]> {
    return (yield { kind: 'foreignKeyCheck', table }) as ForeignKeyViolation[];
  },
  /** Whether foreign keys are enforced now. */
  *foreignKeysEnabled(): SqliteProgram<boolean> {
    return (yield { kind: 'foreignKeysEnabled' }) as boolean;
  },
  /** Runs one or more statements. */
  *exec(sql: string): SqliteProgram<void> {
    yield { kind: 'exec', sql };
  },
  /** Runs one statement; answers with the rows it changed. */
  *run(sql: string): SqliteProgram<number> {
    return (yield { kind: 'run', sql }) as number;
  },
};

/**
 * Runs a {@link SqliteProgram} on a connection (inside its transaction, when one is open).
 *
 * @example
 * await conn.transaction(() => runSqliteProgram(conn, rebuildSteps(spec)));
 */
export async function runSqliteProgram<T>(conn: SqliteConnection, program: SqliteProgram<T>): Promise<T> {
  const answer = async (request: SqliteRequest): Promise<unknown> => {
    switch (request.kind) {
      case 'catalog':
        return conn.introspector.catalog(request.query);
      case 'columns':
        return conn.introspector.columns(request.table);
      case 'tableList':
        return conn.introspector.tableList();
      case 'referencingTables':
        return conn.introspector.referencingTables(request.table);
      case 'foreignKeyCheck':
        return conn.foreignKeyCheck(request.table);
      case 'foreignKeysEnabled':
        return conn.foreignKeysEnabled();
      case 'exec':
        return conn.executeScript(request.sql);
      case 'run':
        return conn.execute(request.sql);
    }
  };
  let step = program.next();
  while (!step.done) {
    let reply: unknown;
    try {
      reply = await answer(step.value);
    } catch (error) {
      step = program.throw(error);
      continue;
    }
    step = program.next(reply);
  }
  return step.value;
}

/**
 * Runs a {@link SqliteProgram} inside a SQLite migration body, synchronously, as the body's own
 * statements are: each statement goes through `ctx.exec` (recorded in a dry run, seen by the
 * runner's checks), and the reads see the migration's transaction.
 *
 * @example
 * export const rebuildTableInMigration: TableRebuilder = (ctx, spec) => runSqliteProgramInMigration(ctx, rebuildSteps(spec));
 */
export function runSqliteProgramInMigration<T>(ctx: MigrationContext, program: SqliteProgram<T>): T {
  const db = ctx.adapter;
  const answer = (request: SqliteRequest): unknown => {
    switch (request.kind) {
      case 'catalog':
        return db.introspector.catalogSync(request.query);
      case 'columns':
        return db.introspector.columnsSync(request.table);
      case 'tableList':
        return db.introspector.tableListSync();
      case 'referencingTables':
        return db.introspector.referencingTablesSync(request.table);
      case 'foreignKeyCheck':
        return db.foreignKeyCheck(request.table);
      case 'foreignKeysEnabled':
        return db.foreignKeysEnabled();
      case 'exec':
        return ctx.exec(request.sql);
      case 'run':
        ctx.exec(request.sql);
        return Number(db.value('SELECT changes()'));
    }
  };
  let step = program.next();
  while (!step.done) {
    let reply: unknown;
    try {
      reply = answer(step.value);
    } catch (error) {
      step = program.throw(error);
      continue;
    }
    step = program.next(reply);
  }
  return step.value;
}
