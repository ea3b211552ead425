import type { FixtureMigration, FixtureTool } from './tool-histories.js';

/** Each tool's history (and lock) tables, created the way that tool creates them on PostgreSQL. */
export const POSTGRES_TOOL_TABLE_DDL: Record<FixtureTool, string> = {
  dbmate: 'CREATE TABLE IF NOT EXISTS schema_migrations (version character varying(128) NOT NULL PRIMARY KEY);',
  'golang-migrate': 'CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);',
  flyway: `CREATE TABLE flyway_schema_history (installed_rank integer NOT NULL CONSTRAINT flyway_schema_history_pk PRIMARY KEY,
    version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum integer,
    installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL);
CREATE INDEX flyway_schema_history_s_idx ON flyway_schema_history (success);`,
  sqlx: `CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);`,
  prisma: `CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0);`,
  kysely: `create table "kysely_migration" ("name" varchar(255) not null primary key, "timestamp" varchar(255) not null);
create table "kysely_migration_lock" ("id" varchar(255) not null primary key, "is_locked" integer default 0 not null);
insert into "kysely_migration_lock" ("id", "is_locked") values ('migration_lock', 0);`,
  knex: `create table "knex_migrations" ("id" serial primary key, "name" varchar(255), "batch" integer, "migration_time" timestamptz);
create table "knex_migrations_lock" ("index" serial primary key, "is_locked" integer);
insert into "knex_migrations_lock" ("is_locked") values (0);`,
};

const text = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * The script that creates `tool`'s history table on PostgreSQL and records `applied` in it the way
 * that tool does after a successful run (golang-migrate: one clean row, the last version).
 *
 * @example
 * await client.query(postgresToolHistorySql('flyway', [{ version: '1', name: 'init' }]));
 */
export function postgresToolHistorySql(tool: FixtureTool, applied: FixtureMigration[]): string {
  const rows = applied.map((m, i) => {
    const stem = `${m.version}_${m.name}`;
    const description = text(m.name.replace(/_/g, ' '));
    switch (tool) {
      case 'dbmate':
        return `INSERT INTO schema_migrations (version) VALUES (${text(m.version)});`;
      case 'golang-migrate':
        return i === applied.length - 1 ? `INSERT INTO schema_migrations (version, dirty) VALUES (${m.version}, false);` : '';
      case 'flyway':
        return `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
          VALUES (${i + 1}, ${text(m.version)}, ${description}, 'SQL', ${text(`V${m.version}__${m.name}.sql`)}, ${1000 + i}, 'app', 5, true);`;
      case 'sqlx':
        return `INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (${m.version}, ${description}, true, '\\x00ff', 1000);`;
      case 'prisma':
        return `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
          VALUES ('id-${i}', 'c${i}', '2024-01-0${(i % 9) + 1} 10:00:01+00', ${text(stem)}, '2024-01-0${(i % 9) + 1} 10:00:00+00', 1);`;
      case 'kysely':
        return `INSERT INTO kysely_migration (name, timestamp) VALUES (${text(stem)}, '2024-01-01T10:00:00.000Z');`;
      case 'knex':
        return `INSERT INTO knex_migrations (name, batch, migration_time) VALUES (${text(`${stem}.js`)}, 1, '2024-01-01 10:00:00+00');`;
    }
  });
  return [POSTGRES_TOOL_TABLE_DDL[tool], ...rows].join('\n');
}
