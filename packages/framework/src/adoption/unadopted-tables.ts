import { MfmigError, type ServiceContext } from '@mfmig/core';
import { replaySchemaVersions, replayedTableNames } from '@mfmig/schema-evolution';

/**
 * The live tables the migrations would create, when the database has no migration history
 * (none recorded): migrating it would run version 1 over them. Empty when the database has a
 * history, has no tables, or holds only tables no migration creates. The migrations are
 * replayed, schema only, on an empty in-memory database; names compare case-insensitively.
 *
 * @example
 * const tables = await findUnadoptedTables(framework.context); // ['notes', 'tags']
 */
export async function findUnadoptedTables(ctx: ServiceContext): Promise<string[]> {
  const conn = ctx.connection;
  if ((await conn.history.list()).length > 0) return [];
  const live = await conn.introspector.tableNames();
  if (live.length === 0) return [];
  const { versions } = await replaySchemaVersions(await ctx.loadMigrations());
  const created = replayedTableNames(versions);
  return live.filter((table) => created.has(table.toLowerCase()));
}

/**
 * Refuses (ADOPTION_REQUIRED) to migrate a database that holds tables the migrations create
 * but has no migration history: it must be adopted at the version its schema matches first
 * (`MigrationService.baseline`). Writes nothing.
 *
 * @example
 * await assertAdopted(framework.context); // throws on an existing database never migrated by mfmig
 */
export async function assertAdopted(ctx: ServiceContext): Promise<void> {
  const tables = await findUnadoptedTables(ctx);
  if (tables.length === 0) return;
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ` and ${tables.length - 5} more` : '');
  throw new MfmigError(
    'ADOPTION_REQUIRED',
    `Database ${ctx.connection.target} has no migration history but already holds tables the migrations create (${shown}); migrating would run the migrations from version 1 over its data, so it was left unchanged. Adopt it at the version its schema matches first`,
    { context: { file: ctx.connection.target, tables } },
  );
}
