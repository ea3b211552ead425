import type { DialectHistory, DialectParticipant, HistoryEntry, MigrationSet, PostgresConnection, RepeatableEntry } from '@mfmig/core';
import { type ToolAdoption, adoptPostgresToolHistory, createConnectionTransformer, detectedToolTables } from '@mfmig/framework';
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
  const adoption = await adoptPostgresToolHistory(conn, cli.globals.db, migrations, {
    dryRun: options.dryRun,
    participants: options.participants,
    lockTimeoutMs: options.lockTimeout,
  });
  if (adoption && !cli.out.json) renderAdoption(cli.out, adoption);
  if (!adoption || adoption.recorded) return { adoption, connection: conn };
  return { adoption, connection: withAdoptedHistory(conn, migrations, adoption) };
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
  if ((await detectedToolTables(conn)).length === 0) return null;
  const migrations = await loadPostgresMigrations(cli, modules);
  const participants = [createConnectionTransformer()];
  return { adoption: await adoptPostgresToolHistory(conn, cli.globals.db, migrations, { dryRun: true, participants }), migrations };
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
  const pending = await pendingToolAdoption(cli, conn, 'import');
  if (!pending?.adoption) return { adoption: null, connection: conn };
  if (!cli.out.json) renderAdoption(cli.out, pending.adoption);
  return { adoption: pending.adoption, connection: withAdoptedHistory(conn, pending.migrations, pending.adoption) };
}

/** `conn`, its history reading as if `adoption` were recorded; every other call goes to `conn` itself. */
function withAdoptedHistory(conn: PostgresConnection, migrations: MigrationSet, adoption: ToolAdoption): PostgresConnection {
  const at = new Date().toISOString();
  const appliedBy = `${adoption.tool} (not recorded: dry run)`;
  const entries: HistoryEntry[] = adoption.versions.map((version) => {
    const { name, mvp, checksum } = migrations.byVersion.get(version)!;
    return { version, name, mvp, checksum, status: 'applied', appliedAt: at, durationMs: 0, appliedBy, schemaHash: null, runId: null };
  });
  const repeatables: RepeatableEntry[] = migrations.repeatables
    .filter((r) => adoption.repeatables.includes(r.name))
    .map((r) => ({ name: r.name, checksum: r.checksum, appliedAt: at, runId: null }));
  const history = new Proxy(conn.history, {
    get(target, key) {
      if (key === 'list') return async () => entries;
      if (key === 'repeatables') return async () => [...(await target.repeatables()), ...repeatables];
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) satisfies DialectHistory;
  return new Proxy(conn, {
    get(target, key) {
      if (key === 'history') return history;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
