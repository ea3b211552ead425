import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type FixtureTool, writeToolHistory } from '@mfmig/test-support';
import { type MigrationFramework, createMigrationFramework, isMfmigError, readToolHistory } from '@mfmig/framework';
import { SqliteConnection } from '@mfmig/core';
import { tempDir } from './helpers.js';

const MIGRATIONS = [
  { version: '20240101120000', name: 'create_items', mvp: 1, up: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);' },
  {
    version: '20240102120000',
    name: 'create_orders',
    mvp: 1,
    up: 'CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id), qty INTEGER NOT NULL);',
  },
  { version: '20240103120000', name: 'items_price', mvp: 2, up: 'ALTER TABLE items ADD COLUMN price REAL;' },
];

function writeFolder(dir: string): string {
  const root = join(dir, 'migrations');
  for (const m of MIGRATIONS) {
    mkdirSync(join(root, `mvp${m.mvp}`), { recursive: true });
    writeFileSync(join(root, `mvp${m.mvp}`, `${m.version}_${m.name}.sql`), `-- migrate:up\n${m.up}\n-- migrate:down\n`);
  }
  return root;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A database `tool` migrated to the first `applied` migrations (schema, rows and its history table). */
function toolDatabase(path: string, tool: FixtureTool, applied = MIGRATIONS.slice(0, 2), extra = ''): void {
  const db = new Database(path);
  for (const m of applied) db.exec(m.up);
  db.exec("INSERT INTO items (name) VALUES ('bolt'), ('nut'); INSERT INTO orders (item_id, qty) VALUES (1, 10), (2, 5);");
  writeToolHistory(db, tool, applied);
  if (extra) db.exec(extra);
  db.close();
}

function toolRows(path: string, table: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(`SELECT * FROM ${table} ORDER BY 1`).raw().all();
  } finally {
    db.close();
  }
}

const TABLES: Record<FixtureTool, string> = {
  dbmate: 'schema_migrations',
  'golang-migrate': 'schema_migrations',
  flyway: 'flyway_schema_history',
  sqlx: '_sqlx_migrations',
  prisma: '_prisma_migrations',
  kysely: 'kysely_migration',
  knex: 'knex_migrations',
};

async function refusal(attempt: Promise<unknown>): Promise<{ code: string; reason: unknown; message: string }> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMfmigError(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.code, reason: error.context.reason, message: error.message };
}

describe('adopting the history another migration tool left', () => {
  let framework: MigrationFramework | undefined;
  afterEach(() => framework?.close());

  const open = (dir: string, path: string) => {
    framework = createMigrationFramework({ database: path, migrationsPath: writeFolder(dir), backupPath: join(dir, 'backups') });
    return framework;
  };

  for (const tool of Object.keys(TABLES) as FixtureTool[]) {
    it(`${tool}: the first migrate records what ${tool} applied, runs only the rest, and leaves ${TABLES[tool]} as it was`, async () => {
      const dir = tempDir();
      const path = join(dir, 'app.db');
      toolDatabase(path, tool);
      const before = toolRows(path, TABLES[tool]);
      expect((await readToolHistory(new SqliteConnection(open(dir, path).context.adapter)))?.tool).toBe(tool);
      const service = framework!.migrationService;

      expect(await service.analyzeToolAdoption()).toMatchObject({
        tool,
        table: TABLES[tool],
        version: 20240102120000,
        versions: [20240101120000, 20240102120000],
        recorded: false,
      });
      expect(framework!.context.adapter.tableExists('mfmig_history')).toBe(false);

      const result = await service.migrateTo({ latest: true });
      expect(result.migrations.map((m) => m.version)).toEqual([20240103120000]);
      expect(result.extras.adoption).toMatchObject({ tool, version: 20240102120000, recorded: true });
      const adapter = framework!.context.adapter;
      expect(adapter.all('SELECT id, name, price FROM items ORDER BY id')).toEqual([
        { id: 1, name: 'bolt', price: null },
        { id: 2, name: 'nut', price: null },
      ]);
      const history = adapter.all<{ version: number; run_id: string }>('SELECT version, run_id FROM mfmig_history ORDER BY version');
      expect(history.map((h) => h.version)).toEqual([20240101120000, 20240102120000, 20240103120000]);
      expect(history.slice(0, 2).every((h) => h.run_id.startsWith(`adopted:${tool}:`))).toBe(true);
      const audit = adapter.all<{ action: string; version: number; detail: string }>('SELECT action, version, detail FROM mfmig_audit');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ action: tool, version: 20240102120000 });
      expect(audit[0]!.detail).toContain(`table=${TABLES[tool]}`);
      expect(toolRows(path, TABLES[tool])).toEqual(before);
      expect((await framework!.schemaEvolution.detectDrift()).hasDrift).toBe(false);
      expect(await service.analyzeToolAdoption()).toBeNull();
    });
  }

  const refused: { name: string; tool: FixtureTool; extra: string; reason: string; applied?: typeof MIGRATIONS }[] = [
    { name: 'a dirty golang-migrate version', tool: 'golang-migrate', extra: 'UPDATE schema_migrations SET dirty = 1', reason: 'dirty' },
    { name: 'a failed Flyway row', tool: 'flyway', extra: 'UPDATE flyway_schema_history SET success = 0 WHERE installed_rank = 2', reason: 'failed' },
    { name: 'a failed sqlx row', tool: 'sqlx', extra: 'UPDATE _sqlx_migrations SET success = 0 WHERE version = 20240102120000', reason: 'failed' },
    {
      name: 'a Prisma migration started but not finished',
      tool: 'prisma',
      extra: "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES ('x', 'c', '20240103120000_items_price', '2024-01-09 10:00:00')",
      reason: 'unfinished',
    },
    { name: 'a held Kysely lock', tool: 'kysely', extra: 'UPDATE kysely_migration_lock SET is_locked = 1', reason: 'locked' },
    { name: 'a held knex lock', tool: 'knex', extra: 'UPDATE knex_migrations_lock SET is_locked = 1', reason: 'locked' },
    { name: 'a version the folder does not hold', tool: 'dbmate', extra: "INSERT INTO schema_migrations VALUES ('20231231000000')", reason: 'not-in-folder' },
    {
      name: 'a gap (the first migration never applied)',
      tool: 'dbmate',
      extra: "DELETE FROM schema_migrations WHERE version = '20240101120000'",
      reason: 'gap',
    },
    {
      name: 'a knex name the folder does not hold',
      tool: 'knex',
      extra: "INSERT INTO knex_migrations (name, batch) VALUES ('20240104000000_other.js', 2)",
      reason: 'not-in-folder',
    },
    { name: 'a schema that differs from the adopted version', tool: 'sqlx', extra: 'CREATE INDEX items_name ON items (name)', reason: 'differences' },
    {
      name: 'the tables of two tools',
      tool: 'dbmate',
      extra: 'create table "kysely_migration" ("name" varchar(255) not null primary key, "timestamp" varchar(255) not null)',
      reason: 'several-tools',
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} (ADOPTION_REFUSED) and writes nothing, migrate and analysis alike`, async () => {
      const dir = tempDir();
      const path = join(dir, 'app.db');
      toolDatabase(path, c.tool, c.applied, c.extra);
      const before = sha(path);
      const service = open(dir, path).migrationService;
      expect(await refusal(service.analyzeToolAdoption())).toMatchObject({ code: 'ADOPTION_REFUSED', reason: c.reason });
      expect(await refusal(service.migrateTo({ latest: true }))).toMatchObject({ code: 'ADOPTION_REFUSED', reason: c.reason });
      expect(await refusal(service.migrateTo({ latest: true }, { dryRun: true }))).toMatchObject({ code: 'ADOPTION_REFUSED', reason: c.reason });
      framework!.close();
      framework = undefined;
      expect(sha(path)).toBe(before);
    });
  }

  it('a golang-migrate row up to version 2 adopts version 1 too; a dry run names the pending adoption and writes nothing', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    toolDatabase(path, 'golang-migrate');
    const before = sha(path);
    const service = open(dir, path).migrationService;
    expect(await refusal(service.migrateTo({ latest: true }, { dryRun: true }))).toMatchObject({ code: 'ADOPTION_REQUIRED' });
    framework!.close();
    expect(sha(path)).toBe(before);
    const again = open(dir, path).migrationService;
    expect(await again.adoptToolHistory()).toMatchObject({ tool: 'golang-migrate', versions: [20240101120000, 20240102120000], recorded: true });
    expect((await again.status()).pending.map((p) => p.version)).toEqual([20240103120000]);
  });

  it("baseline leaves another tool's tables out of the schema it compares (a dirty golang-migrate database repaired by hand)", async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    toolDatabase(path, 'golang-migrate', undefined, 'UPDATE schema_migrations SET dirty = 1');
    const before = toolRows(path, 'schema_migrations');
    const service = open(dir, path).migrationService;
    expect(await service.baseline()).toMatchObject({ version: 20240102120000, matched: 'exact', recorded: [20240101120000, 20240102120000] });
    expect((await service.migrateTo({ latest: true })).migrations.map((m) => m.version)).toEqual([20240103120000]);
    expect(toolRows(path, 'schema_migrations')).toEqual(before);
  });

  it('a tool table with nothing applied is no adoption: the migrations run from the start', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    const db = new Database(path);
    writeToolHistory(db, 'dbmate', []);
    db.close();
    const service = open(dir, path).migrationService;
    expect(await service.analyzeToolAdoption()).toBeNull();
    expect((await service.migrateTo({ latest: true })).migrations.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => Number(m.version)));
  });
});
