import { spawn } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RollbackManager, databaseFolder, listArchives, listBackups, sha256File } from '@mfmig/rollback';
import { ensureDatabaseIdentity, openDatabase, sqliteConnectionOf } from '@mfmig/core';
import { buildChildBundle } from './children/bundle.js';
import { FIXTURES, type DatabaseState, databaseState, seededDatabase, tempDir } from './helpers.js';

const CHILD = join(import.meta.dirname, 'children', 'operation-child.mjs');
let bundle: ReturnType<typeof buildChildBundle>;
beforeAll(() => {
  bundle = buildChildBundle();
});
afterAll(() => bundle.remove());

interface ChildOutcome {
  signal: NodeJS.Signals | null;
  code: number | null;
  lines: string[];
  stderr: string;
}

/** Runs an operation in a child process and SIGKILLs it when it prints `killOn`, or `afterReadyMs` after `ready`. */
function runChild(job: Record<string, unknown>, kill: { on?: string; afterReadyMs?: number }): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, bundle.path, JSON.stringify({ ...job, holdAt: kill.on })], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (line === kill.on) child.kill('SIGKILL');
        if (line === 'ready' && kill.afterReadyMs !== undefined) setTimeout(() => child.kill('SIGKILL'), kill.afterReadyMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, lines, stderr }));
  });
}

function expectOneOf(state: DatabaseState, allowed: DatabaseState[]): number {
  expect(state.integrity).toBe('ok');
  expect(state.foreignKeyViolations).toBe(0);
  const index = allowed.findIndex(
    (a) => a.versions.join() === state.versions.join() && a.schema === state.schema && JSON.stringify(a.tables) === JSON.stringify(state.tables),
  );
  expect(index, `state at versions ${state.versions.join(',')} is none of the allowed ones`).toBeGreaterThanOrEqual(0);
  return index;
}

/** Every archive table is in the registry and every registered, unrestored archive exists. */
async function expectArchivesConsistent(path: string): Promise<void> {
  const adapter = openDatabase(path);
  try {
    const tables = adapter
      .all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'mfmig\\_archive\\_%' ESCAPE '\\'")
      .map((r) => r.name);
    const registered = (await listArchives(sqliteConnectionOf(adapter), 'archived')).map((a) => a.archiveTable);
    expect(tables.sort()).toEqual(registered.sort());
  } finally {
    adapter.close();
  }
}

describe('SIGKILL during', () => {
  let dir: string;
  let backups: string;
  beforeEach(() => {
    dir = tempDir();
    backups = join(dir, 'backups');
  });

  it('a backup leaves the live database untouched and no backup in the registry', async () => {
    const db = await seededDatabase(dir, { rows: 400, target: { mvp: 3 } });
    // the first backup of a database records its identity in it (a deliberate write); the copy itself never changes it
    const adapter = openDatabase(db);
    const folder = databaseFolder(backups, ensureDatabaseIdentity(adapter));
    adapter.close();
    const before = databaseState(db);
    const bytes = sha256File(db);
    const outcome = await runChild({ op: 'backup', db, backups }, { on: 'copying' });
    expect(outcome.signal, outcome.stderr).toBe('SIGKILL');
    expect(sha256File(db)).toBe(bytes);
    expect(databaseState(db)).toEqual(before);
    expect(listBackups(backups)).toEqual([]);
    expect(readdirSync(folder).some((n) => n.endsWith('.tmp'))).toBe(true);
    const manager = new RollbackManager({ database: db, migrationsPath: FIXTURES, backupPath: backups });
    const backup = await manager.createBackup();
    manager.close();
    expect(backup.integrity.verified).toBe(true);
    expect(readdirSync(folder).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a restore leaves the old file or the new one, never a mix', async () => {
    const db = await seededDatabase(dir, { rows: 400, target: { mvp: 2 } });
    const manager = new RollbackManager({ database: db, migrationsPath: FIXTURES, backupPath: backups });
    const backup = await manager.createBackup();
    const run = await (await manager.context.migrator()).migrate({ mvp: 3 });
    expect(run.error).toBeUndefined();
    manager.close();
    const old = databaseState(db);
    const restored = databaseState(backup.path);
    const seen = new Set<number>();
    const pristine = join(dir, 'pristine.db');
    copyFileSync(db, pristine);
    for (const kill of [{ on: 'restore' }, { afterReadyMs: 5 }, { afterReadyMs: 25 }]) {
      copyFileSync(pristine, db);
      const outcome = await runChild({ op: 'restore', db, migrations: FIXTURES, backups, backupId: backup.id }, kill);
      expect(outcome.stderr).not.toMatch(/Error/);
      seen.add(expectOneOf(databaseState(db), [old, restored]));
    }
    expect(seen.has(0)).toBe(true);
  });

  it('a one-migration rollback leaves the database untouched or fully at the target', async () => {
    const db = await seededDatabase(dir, { rows: 400, target: { mvp: 3 } });
    const raw = new Database(db);
    raw.exec("UPDATE kb_entries SET category = 'PL/I' WHERE id % 4 = 0");
    raw.close();
    const before = databaseState(db);
    const pristine = join(dir, 'pristine.db');
    copyFileSync(db, pristine);
    const reference = join(dir, 'reference.db');
    copyFileSync(db, reference);
    const done = await runChild({ op: 'rollback', db: reference, migrations: FIXTURES, backups, target: 6 }, {});
    expect(done.lines, done.stderr).toContain('done');
    const after = databaseState(reference);
    expect(after.versions).toEqual([1, 2, 3, 4, 5, 6]);
    const seen = new Set<number>();
    for (const kill of [{ on: 'archive' }, { afterReadyMs: 10 }, { afterReadyMs: 40 }]) {
      copyFileSync(pristine, db);
      await runChild({ op: 'rollback', db, migrations: FIXTURES, backups, target: 6 }, kill);
      seen.add(expectOneOf(databaseState(db), [before, after]));
      await expectArchivesConsistent(db);
    }
    expect(seen.has(0)).toBe(true);
  });

  it('a staged rollback stops at a migration boundary, and running it again finishes it', async () => {
    const db = await seededDatabase(dir, { rows: 400, target: { mvp: 3 } });
    const outcome = await runChild({ op: 'rollback', db, migrations: FIXTURES, backups, target: { mvp: 2 } }, { on: 'step-1' });
    expect(outcome.signal, outcome.stderr).toBe('SIGKILL');
    const state = databaseState(db);
    expect(state.integrity).toBe('ok');
    expect(state.versions).toEqual([1, 2, 3, 4, 5, 6]);
    await expectArchivesConsistent(db);
    const manager = new RollbackManager({ database: db, migrationsPath: FIXTURES, backupPath: backups });
    const result = await manager.rollbackToMvp(2);
    manager.close();
    expect(result.success).toBe(true);
    expect(databaseState(db).versions).toEqual([1, 2, 3, 4]);
    await expectArchivesConsistent(db);
  });
});
