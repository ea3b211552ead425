import type { DialectParticipant, MigrationSet, PostgresConnection } from '@mfmig/core';
import { type ToolAdoption, adoptBeforePostgresRun, createConnectionTransformer, previewPostgresToolAdoption } from '@mfmig/framework';
import { loadPostgresMigrations } from './postgres-migrations.js';
import type { CliRuntime } from '../runtime.js';
import { renderAdoption } from '../adoption-preview.js';

/**
 * Before a PostgreSQL `migrate`: adopts the history another migration tool left in the schema
 * (see `adoptPostgresToolHistory`). A real run records it; a dry run records nothing and gets a
 * connection whose history reads as the adoption would leave it, so that the dry run shows, and
 * rehearses in its rolled-back transaction, only what would run after it. Prints the adoption.
 *
 * @example
 * const { adoption, connection } = await adoptBeforeMigrate(cli, conn, migrations, { dryRun: true, lockTimeout: 10_000, participants });
 */
export async function adoptBeforeMigrate(
  cli: CliRuntime,
  conn: PostgresConnection,
  migrations: MigrationSet,
  options: { dryRun: boolean; lockTimeout: number; participants: readonly DialectParticipant[] },
): Promise<{ adoption: ToolAdoption | null; connection: PostgresConnection }> {
  const adopted = await adoptBeforePostgresRun(cli.globals.db, conn, migrations, {
    dryRun: options.dryRun,
    participants: options.participants,
    lockTimeoutMs: options.lockTimeout,
  });
  if (adopted.adoption && !cli.out.json) renderAdoption(cli.out, adopted.adoption);
  return adopted;
}

/**
 * What `migrate` would adopt from another tool's history table, writing nothing; null when the
 * schema carries no tool's table (the folder is not even read then). `modules` is how the folder
 * is read: `import` for a command that may run migration code, `metadata` for one that only reads.
 *
 * @example
 * (await pendingToolAdoption(cli, conn, 'import'))?.adoption?.version;
 */
export async function pendingToolAdoption(
  cli: CliRuntime,
  conn: PostgresConnection,
  modules: 'import' | 'metadata',
): Promise<{ adoption: ToolAdoption | null; migrations: MigrationSet } | null> {
  const preview = await previewPostgresToolAdoption(cli.globals.db, conn, () => loadPostgresMigrations(cli, modules), [createConnectionTransformer()]);
  return preview.migrations ? { adoption: preview.adoption, migrations: preview.migrations } : null;
}

/**
 * For `plan`: what `migrate` would adopt (see {@link pendingToolAdoption}), printed, and a
 * connection whose history reads as if it were recorded (see {@link adoptBeforeMigrate}).
 *
 * @example
 * const { adoption, connection } = await previewToolAdoption(cli, conn);
 */
export async function previewToolAdoption(
  cli: CliRuntime,
  conn: PostgresConnection,
): Promise<{ adoption: ToolAdoption | null; connection: PostgresConnection }> {
  const preview = await previewPostgresToolAdoption(cli.globals.db, conn, () => loadPostgresMigrations(cli, 'import'), [createConnectionTransformer()]);
  if (preview.adoption && !cli.out.json) renderAdoption(cli.out, preview.adoption);
  return { adoption: preview.adoption, connection: preview.connection };
}
