/**
 * The history tables other migration tools keep in the schema they migrate, with the tool that
 * keeps each. Adopting such a schema compares the application's tables only: these stay where
 * they are, untouched, unless the migrations create a table of that name themselves.
 */
export const OTHER_TOOL_TABLES: ReadonlyMap<string, string> = new Map([
  ['_prisma_migrations', 'Prisma'],
  ['flyway_schema_history', 'Flyway'],
  ['knex_migrations', 'knex'],
  ['knex_migrations_lock', 'knex'],
  ['kysely_migration', 'Kysely'],
  ['kysely_migration_lock', 'Kysely'],
  ['schema_migrations', 'dbmate, golang-migrate or Rails'],
  ['ar_internal_metadata', 'Rails'],
  ['_sqlx_migrations', 'sqlx'],
  ['pgmigrations', 'node-pg-migrate'],
  ['goose_db_version', 'goose'],
  ['alembic_version', 'Alembic'],
  ['databasechangelog', 'Liquibase'],
  ['databasechangeloglock', 'Liquibase'],
  ['SequelizeMeta', 'Sequelize'],
  ['__EFMigrationsHistory', 'Entity Framework'],
  ['__drizzle_migrations', 'drizzle-kit'],
]);

/**
 * The live tables to leave out of an adoption's comparison: other tools' history tables that no
 * migration creates.
 *
 * @example
 * otherToolTables(['accounts', '_prisma_migrations'], new Set(['accounts'])); // ['_prisma_migrations']
 */
export function otherToolTables(live: readonly string[], created: ReadonlySet<string>): string[] {
  return live.filter((name) => OTHER_TOOL_TABLES.has(name) && !created.has(name));
}
