import type { Kysely } from 'kysely';
import type { Logger } from '../config/index.js';
import type { DatabaseAdapter } from '../adapter/index.js';
import { observedConnection } from '../adapter/observed-connection.js';
import { sqliteConnectionOf } from '../adapter/connection-of.js';
import type { SqliteConnection } from '../adapter/sqlite-connection.js';
import { MfmigError } from '../errors/index.js';
import { kyselyModule } from '../lazy/load-on-use.js';
import type { OperationProgress } from '../events/index.js';
import { type Direction, type Migration, type MigrationContext, type RebuildTableSpec, assertSafeMigrationSql, migrationLabel } from '../migration/index.js';
import type { TableRebuilder } from './migration-plugin.js';
import type { StatementObserver } from './safety/migration-safety.js';

/** What the runner needs to build a context: the adapter, the connection, or both. */
export type ContextInit = ContextInitFields &
  (
    | {
        adapter: DatabaseAdapter;
        /** The runner's connection over `adapter` (default: the adapter's own, `sqliteConnectionOf`). */ connection?: SqliteConnection;
      }
    | { /** The connection the context runs on (the adapter is its own). */ connection: SqliteConnection; adapter?: undefined }
  );

/** The fields of a {@link ContextInit} besides its database. */
export interface ContextInitFields {
  migration: Migration;
  direction: Direction;
  dryRun: boolean;
  logger: Logger;
  rebuildTable?: TableRebuilder;
  onProgress: (progress: OperationProgress) => void;
  state?: Map<string, unknown>;
  signal?: AbortSignal;
  runId: string;
  undoesFailedUp?: boolean;
}

/** A migration context plus what the runner reads back from it. */
export interface RunnerContext extends MigrationContext {
  readonly statements: string[];
  readonly rows: number;
  /** The Kysely instance handed to `up`/`down` (records its statements). */
  readonly db: Kysely<any>;
  /** Lets `observer` see every statement run through `exec`, `db` and `raw` from now on (undefined: stop). */
  observe(observer: StatementObserver | undefined): void;
}

/** Builds the `ctx` given to a migration. Statements run through it are recorded. */
export function createMigrationContext(init: ContextInit): RunnerContext {
  const adapter = init.adapter ?? init.connection.adapter;
  const statements: string[] = [];
  let rows = 0;
  let db: Kysely<any> | undefined;
  let observer: StatementObserver | undefined;
  const label = migrationLabel(init.migration);
  // SQL files were checked when they were loaded; a module's SQL exists only when it runs. Only
  // the migration's own code is checked (while the runner observes it): plugins sharing this
  // context write mfmig's tables on purpose, and so does mfmig's own ctx.rebuildTable
  let ownWork = 0;
  const check =
    init.migration.kind === 'module'
      ? (sql: string) => {
          if (observer && ownWork === 0) assertSafeMigrationSql(sql, label);
        }
      : () => {};
  const raw = observedConnection(adapter, () => observer, check);
  const ctx: RunnerContext = {
    raw,
    adapter,
    get connection() {
      return init.connection ?? sqliteConnectionOf(adapter);
    },
    migration: init.migration,
    direction: init.direction,
    dryRun: init.dryRun,
    logger: init.logger,
    state: init.state ?? new Map(),
    signal: init.signal,
    runId: init.runId,
    ...(init.undoesFailedUp ? { undoesFailedUp: true } : {}),
    get statements() {
      return statements;
    },
    get rows() {
      return rows;
    },
    get db() {
      db ??=
        init.migration.kind === 'module'
          ? new (kyselyModule().Kysely)<any>({
              // through the checked, observed handle: each query is checked before it runs and seen after
              dialect: new (kyselyModule().SqliteDialect)({ database: raw }),
              log: (event) => {
                statements.push(event.query.sql);
              },
            })
          : adapter.kysely;
      return db;
    },
    exec(sql: string) {
      for (const statement of adapter.splitStatements(sql)) {
        check(statement);
        statements.push(statement);
        adapter.exec(statement);
        observer?.after(statement);
      }
    },
    rebuildTable(spec: RebuildTableSpec) {
      if (!init.rebuildTable) {
        throw new MfmigError(
          'USAGE',
          'ctx.rebuildTable needs @mfmig/schema-evolution: run migrations through @mfmig/framework, or give the runner rebuildTable: rebuildTableInMigration',
        );
      }
      if (adapter.foreignKeysEnabled()) {
        throw new MfmigError(
          'MIGRATION_INVALID',
          `Migration ${init.migration.file} rebuilds table ${spec.table} with foreign keys on; declare meta.foreignKeys = 'off' (SQL: -- foreign-keys: off) so that the rebuild cannot cascade into child rows`,
          { context: { file: init.migration.file } },
        );
      }
      ownWork++;
      let result: ReturnType<TableRebuilder>;
      try {
        result = init.rebuildTable(ctx, spec);
      } finally {
        ownWork--;
      }
      rows += result.rowsCopied;
      return result;
    },
    progress(progress: OperationProgress) {
      init.onProgress(progress);
    },
    countRows(n: number) {
      rows += n;
    },
    observe(next) {
      observer = next;
    },
  };
  return ctx;
}
