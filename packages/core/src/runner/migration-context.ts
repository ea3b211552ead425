import type { Kysely } from 'kysely';
import { Kysely as KyselyClass, SqliteDialect } from 'kysely';
import type { Logger } from '../config/index.js';
import type { DatabaseAdapter } from '../adapter/index.js';
import { MfmigError } from '../errors/index.js';
import type { OperationProgress } from '../events/index.js';
import type { Direction, Migration, MigrationContext, RebuildTableSpec } from '../migration/index.js';
import type { TableRebuilder } from './migration-plugin.js';

/** What the runner needs to build a context. */
export interface ContextInit {
  adapter: DatabaseAdapter;
  migration: Migration;
  direction: Direction;
  dryRun: boolean;
  logger: Logger;
  rebuildTable?: TableRebuilder;
  onProgress: (progress: OperationProgress) => void;
  state?: Map<string, unknown>;
  signal?: AbortSignal;
  runId: string;
}

/** A migration context plus what the runner reads back from it. */
export interface RunnerContext extends MigrationContext {
  readonly statements: string[];
  readonly rows: number;
  /** The Kysely instance handed to `up`/`down` (records its statements). */
  readonly db: Kysely<any>;
}

/** Builds the `ctx` given to a migration. Statements run through it are recorded. */
export function createMigrationContext(init: ContextInit): RunnerContext {
  const statements: string[] = [];
  let rows = 0;
  let db: Kysely<any> | undefined;
  const ctx: RunnerContext = {
    raw: init.adapter.raw,
    adapter: init.adapter,
    migration: init.migration,
    direction: init.direction,
    dryRun: init.dryRun,
    logger: init.logger,
    state: init.state ?? new Map(),
    signal: init.signal,
    runId: init.runId,
    get statements() {
      return statements;
    },
    get rows() {
      return rows;
    },
    get db() {
      db ??= init.migration.kind === 'module'
        ? new KyselyClass<any>({
            dialect: new SqliteDialect({ database: init.adapter.raw }),
            log: (event) => {
              statements.push(event.query.sql);
            },
          })
        : init.adapter.kysely;
      return db;
    },
    exec(sql: string) {
      for (const statement of init.adapter.splitStatements(sql)) {
        statements.push(statement);
        init.adapter.exec(statement);
      }
    },
    rebuildTable(spec: RebuildTableSpec) {
      if (!init.rebuildTable) {
        throw new MfmigError('INTERNAL', 'ctx.rebuildTable needs @mfmig/schema-evolution; run migrations through @mfmig/framework');
      }
      if (init.adapter.foreignKeysEnabled()) {
        throw new MfmigError(
          'MIGRATION_INVALID',
          `Migration ${init.migration.file} rebuilds table ${spec.table} with foreign keys on; declare meta.foreignKeys = 'off' (SQL: -- foreign-keys: off) so that the rebuild cannot cascade into child rows`,
          { context: { file: init.migration.file } },
        );
      }
      const result = init.rebuildTable(ctx, spec);
      rows += result.rowsCopied;
      return result;
    },
    progress(progress: OperationProgress) {
      init.onProgress(progress);
    },
    countRows(n: number) {
      rows += n;
    },
  };
  return ctx;
}
