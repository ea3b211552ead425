import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Migrator, loadMigrations, openDatabase } from '@mfmig/core';
import { migrateAndSeed, removeTempDirs, scopedTempDir, seededRandom, tempDir } from '@mfmig/test-support';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(removeTempDirs);

const MIGRATIONS = join(import.meta.dirname, '../../../migrations');

describe('test-support', () => {
  it('seededRandom replays the same numbers in [0, 1) for the same seed, others for another', () => {
    const a = Array.from({ length: 1000 }, seededRandom(42));
    expect(Array.from({ length: 1000 }, seededRandom(42))).toEqual(a);
    expect(Array.from({ length: 1000 }, seededRandom(43))).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(990);
  });

  it('tempDir folders exist until removeTempDirs; scopedTempDir removes its own', () => {
    const dirs = [tempDir(), tempDir('mfmig-other-')];
    for (const dir of dirs) writeFileSync(join(dir, 'f'), 'x');
    expect(new Set(dirs).size).toBe(2);
    const scoped = scopedTempDir();
    writeFileSync(join(scoped.dir, 'f'), 'x');
    scoped.cleanup();
    expect(existsSync(scoped.dir)).toBe(false);
    expect(dirs.every((d) => existsSync(join(d, 'f')))).toBe(true);
    removeTempDirs();
    expect(dirs.some((d) => existsSync(d))).toBe(false);
  });

  it('migrateAndSeed brings a database to MVP1, seeds it the same way for the same seed, and migrates on', async () => {
    const counts = async (seed: number) => {
      const adapter = openDatabase(join(tempDir(), 'kb.db'), { create: true });
      try {
        const migrator = new Migrator({
          adapter,
          migrations: await loadMigrations(MIGRATIONS),
          plugins: [{ name: 'schema-only', handlesTransformations: true }],
        });
        await migrateAndSeed(migrator, { rows: 50, seed, target: { mvp: 2 } });
        return { mvp: migrator.status().currentMvp, rows: adapter.rowCount('kb_entries'), titles: adapter.all('SELECT title FROM kb_entries ORDER BY id') };
      } finally {
        adapter.close();
      }
    };
    const first = await counts(7);
    expect(first).toMatchObject({ mvp: 2, rows: 50 });
    expect(await counts(7)).toEqual(first);
    expect((await counts(8)).titles).not.toEqual(first.titles);
  });
});
