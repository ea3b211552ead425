import {
  DialectMigrator,
  type DialectParticipant,
  type Migration,
  type MigrationSet,
  type SqliteConnection,
  type TableRebuilder,
  messageOf,
  splitSqlStatements,
} from '@mfmig/core';
import { copySchema } from './schema-copy.js';

/** Lets a dry run pass migrations that declare transformations; their rows are analysed from the declarations. */
const DECLARATIONS_ONLY: DialectParticipant = { name: 'planner-declarations', runsTransformations: true };

/** The statements of each step, and what could not be captured. */
export interface CapturedStatements {
  byVersion: Map<number, string[]>;
  notes: string[];
}

/**
 * The statements each step runs. SQL migrations: their `upSql`/`downSql`. Module migrations:
 * known only at run time, so they are run as a dry run on an in-memory copy of the schema
 * (no data; the live database is only read) and the statements the Kysely instance and
 * `ctx.exec` recorded are kept.
 *
 * @example
 * const { byVersion } = await captureStatements(conn, set, steps, 'up', 17, rebuildTableInMigration);
 */
export async function captureStatements(
  live: SqliteConnection,
  set: MigrationSet,
  steps: Migration[],
  direction: 'up' | 'down',
  targetVersion: number,
  rebuildTable: TableRebuilder | undefined,
): Promise<CapturedStatements> {
  const byVersion = new Map<number, string[]>();
  const notes: string[] = [];
  for (const m of steps) {
    const sql = direction === 'up' ? m.upSql : m.downSql;
    if (m.kind === 'sql' && sql !== undefined) byVersion.set(m.version, splitSqlStatements(sql));
  }
  if (!steps.some((m) => m.kind === 'module')) return { byVersion, notes };
  const copy = await copySchema(live);
  try {
    const runner = new DialectMigrator({
      connection: copy,
      migrations: set,
      participants: [DECLARATIONS_ONLY],
      ...(rebuildTable ? { rebuildTable } : {}),
      allowUnadopted: true,
    });
    const result =
      direction === 'up'
        ? await runner.migrate({ version: targetVersion }, { dryRun: true })
        : await runner.rollback({ version: targetVersion }, { dryRun: true });
    for (const item of result.results) if (item.status === 'Success' && !byVersion.has(item.version)) byVersion.set(item.version, item.statements);
    if (result.error)
      notes.push(`Dry run on a schema copy stopped: ${messageOf(result.error)}; later module migrations are analysed from their declarations only`);
  } finally {
    await copy.close();
  }
  return { byVersion, notes };
}
