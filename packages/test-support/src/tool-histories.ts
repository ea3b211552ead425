/** A connection that runs SQL scripts (better-sqlite3's `Database` is one). */
export interface ScriptRunner {
  exec(sql: string): unknown;
}

/** The migration tools whose SQLite history tables the fixtures create. */
export type FixtureTool = 'dbmate' | 'golang-migrate' | 'flyway' | 'sqlx' | 'prisma' | 'kysely' | 'knex';

/** Each tool's history (and lock) tables, created the way that tool creates them on SQLite. */
export const TOOL_TABLE_DDL: Record<FixtureTool, string> = {
  dbmate: 'create table if not exists "schema_migrations" (version varchar(128) primary key);',
  'golang-migrate':
    'CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);\nCREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);',
  flyway: `CREATE TABLE "flyway_schema_history" (
    "installed_rank" INT NOT NULL PRIMARY KEY,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INT,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
    "execution_time" INT NOT NULL,
    "success" BOOLEAN NOT NULL
);
CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success");`,
  sqlx: `CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);`,
  prisma: `CREATE TABLE "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
);`,
  kysely: `create table "kysely_migration" ("name" varchar(255) not null primary key, "timestamp" varchar(255) not null);
create table "kysely_migration_lock" ("id" varchar(255) not null primary key, "is_locked" integer default 0 not null);
insert into "kysely_migration_lock" ("id", "is_locked") values ('migration_lock', 0);`,
  knex:
    'create table `knex_migrations` (`id` integer not null primary key autoincrement, `name` varchar(255), `batch` integer, `migration_time` datetime);\n' +
    'create table `knex_migrations_lock` (`index` integer not null primary key autoincrement, `is_locked` integer);\n' +
    'insert into `knex_migrations_lock` (`is_locked`) values (0);',
};

/**
 * Three timestamped migrations of a notes application, in SQL both SQLite and PostgreSQL run: the
 * fixture databases have the first two applied by another tool, and the third is left to mfmig.
 */
export const NOTES_MIGRATIONS = [
  { version: '20240101120000', name: 'create_notes', mvp: 1, up: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL);' },
  {
    version: '20240102120000',
    name: 'create_tags',
    mvp: 1,
    up: 'CREATE TABLE tags (id INTEGER PRIMARY KEY, note_id INTEGER NOT NULL REFERENCES notes(id), name TEXT NOT NULL);',
  },
  { version: '20240103120000', name: 'notes_pinned', mvp: 2, up: 'ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;' },
] as const;

/** A migration the fixture records as applied: its version and name (`20240101120000`, `create_items`). */
export interface FixtureMigration {
  version: string;
  name: string;
}

const text = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * Creates `tool`'s history table in `db` and records `applied` in it the way that tool does
 * after a successful run (golang-migrate: one clean row, the last version).
 *
 * @example
 * writeToolHistory(db, 'dbmate', [{ version: '20240101120000', name: 'create_items' }]);
 */
export function writeToolHistory(db: ScriptRunner, tool: FixtureTool, applied: FixtureMigration[]): void {
  db.exec(TOOL_TABLE_DDL[tool]);
  const rows = applied.map((m, i) => {
    const stem = `${m.version}_${m.name}`;
    switch (tool) {
      case 'dbmate':
        return `INSERT INTO schema_migrations (version) VALUES (${text(m.version)});`;
      case 'golang-migrate':
        return i === applied.length - 1 ? `INSERT INTO schema_migrations (version, dirty) VALUES (${m.version}, 0);` : '';
      case 'flyway':
        return `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (${i + 1}, ${text(m.version)}, ${text(m.name.replace(/_/g, ' '))}, 'SQL', ${text(`V${m.version}__${m.name}.sql`)}, ${1000 + i}, 'app', 5, 1);`;
      case 'sqlx':
        return `INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (${m.version}, ${text(m.name.replace(/_/g, ' '))}, 1, X'00ff', 1000);`;
      case 'prisma':
        return `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ('id-${i}', 'c${i}', '2024-01-0${(i % 9) + 1} 10:00:01', ${text(stem)}, '2024-01-0${(i % 9) + 1} 10:00:00', 1);`;
      case 'kysely':
        return `INSERT INTO kysely_migration (name, timestamp) VALUES (${text(stem)}, '2024-01-01T10:00:00.000Z');`;
      case 'knex':
        return `INSERT INTO knex_migrations (name, batch, migration_time) VALUES (${text(`${stem}.js`)}, 1, 1704103200000);`;
    }
  });
  db.exec(rows.join('\n'));
}
