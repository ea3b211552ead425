import type * as KyselyModule from 'kysely';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

// the worker keeps its modules for the next test file (isolate: false): that file gets fresh ones, not the copies swapped here
afterAll(() => {
  vi.resetModules();
});

/** A fresh copy of the loaders: each keeps what it loaded for the life of its module. */
async function freshLoaders() {
  vi.resetModules();
  return import('../src/lazy/load-on-use.js');
}

describe('kysely and zod, loaded on first use', () => {
  it("load this package's copies when nothing else is handed over", async () => {
    const { kyselyModule, zodModule } = await freshLoaders();
    expect(typeof kyselyModule().Kysely).toBe('function');
    expect(zodModule().z.string().parse('x')).toBe('x');
  });

  it('use the loaders a bundled program hands over, once, and only when first needed', async () => {
    const { kyselyModule, useModuleLoaders } = await freshLoaders();
    const bundled = { Kysely: class {} } as unknown as typeof KyselyModule;
    const load = vi.fn(() => bundled);
    useModuleLoaders({ kysely: load });
    expect(load).not.toHaveBeenCalled();
    expect(kyselyModule()).toBe(bundled);
    expect(kyselyModule()).toBe(bundled);
    expect(load).toHaveBeenCalledTimes(1);
  });
});

describe('a run of SQL migrations', () => {
  it('never loads kysely: its bodies get no Kysely instance', async () => {
    vi.resetModules();
    const { useModuleLoaders } = await import('../src/lazy/load-on-use.js');
    const loadKysely = vi.fn((): typeof KyselyModule => {
      throw new Error('kysely loaded');
    });
    useModuleLoaders({ kysely: loadKysely });
    const { Migrator, loadMigrations, openDatabase } = await import('../src/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'mfmig-sql-only-'));
    mkdirSync(join(dir, 'mvp1'));
    writeFileSync(join(dir, 'mvp1/0001_t.sql'), '-- migrate:up\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE t;\n');
    writeFileSync(join(dir, 'mvp1/0002_u.sql'), '-- migrate:up\nINSERT INTO t VALUES (1);\n-- migrate:down\nDELETE FROM t;\n');
    const adapter = openDatabase(join(dir, 'kb.db'), { create: true });
    const migrations = await loadMigrations(dir);
    const migrator = new Migrator({ adapter, migrations });
    expect((await migrator.migrate()).error).toBeUndefined();
    expect(adapter.raw.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    expect((await migrator.rollback({ version: 0 })).error).toBeUndefined();
    expect(loadKysely).not.toHaveBeenCalled();
    adapter.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('a module migration', () => {
  it('loads kysely only when its body touches db, and then gets a working Kysely', async () => {
    vi.resetModules();
    const { useModuleLoaders } = await import('../src/lazy/load-on-use.js');
    const realKysely = await import('kysely');
    const loadKysely = vi.fn(() => realKysely);
    useModuleLoaders({ kysely: loadKysely });
    const { Migrator, loadMigrations, openDatabase } = await import('../src/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'mfmig-module-db-'));
    mkdirSync(join(dir, 'migrations/mvp1'), { recursive: true });
    writeFileSync(join(dir, 'migrations/mvp1/0001_t.sql'), '-- migrate:up\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE t;\n');
    writeFileSync(
      join(dir, 'migrations/mvp1/0002_ctx_only.ts'),
      "export async function up(_db: unknown, ctx: { exec(sql: string): void }) { ctx.exec('INSERT INTO t VALUES (1)'); }\nexport async function down(_db: unknown, ctx: { exec(sql: string): void }) { ctx.exec('DELETE FROM t WHERE id = 1'); }\n",
    );
    const adapter = openDatabase(join(dir, 'kb.db'), { create: true });
    expect((await new Migrator({ adapter, migrations: await loadMigrations(join(dir, 'migrations')) }).migrate()).error).toBeUndefined();
    expect(loadKysely).not.toHaveBeenCalled();

    writeFileSync(
      join(dir, 'migrations/mvp1/0003_uses_db.ts'),
      "export async function up(db: any) { await db.insertInto('t').values({ id: 2 }).execute(); }\nexport async function down(db: any) { await db.deleteFrom('t').where('id', '=', 2).execute(); }\n",
    );
    const migrator = new Migrator({ adapter, migrations: await loadMigrations(join(dir, 'migrations')) });
    expect((await migrator.migrate()).error).toBeUndefined();
    expect(adapter.raw.prepare('SELECT id FROM t ORDER BY id').pluck().all()).toEqual([1, 2]);
    expect((await migrator.rollback({ version: 1 })).error).toBeUndefined();
    expect(adapter.raw.prepare('SELECT id FROM t ORDER BY id').pluck().all()).toEqual([]);
    expect(loadKysely).toHaveBeenCalledTimes(1);
    adapter.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
