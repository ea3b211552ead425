import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type FixtureTool, NOTES_MIGRATIONS, writeToolHistory } from '@mfmig/test-support';
import { beforeEach, describe, expect, it } from 'vitest';
import { mfmig, sha256File, sqlMigration, tempDir, writeMigrations } from './helpers.js';

const MIGRATIONS = NOTES_MIGRATIONS;
const [V1, V2, V3] = MIGRATIONS.map((m) => Number(m.version)) as [number, number, number];

function query(db: string, sql: string): unknown[] {
  const handle = new Database(db, { readonly: true });
  try {
    return handle.prepare(sql).all();
  } finally {
    handle.close();
  }
}

/** A notes database `tool` migrated to the first two migrations, with rows. */
function toolDatabase(dir: string, tool: FixtureTool, extra = ''): string {
  const path = join(dir, 'notes.db');
  const db = new Database(path);
  for (const m of MIGRATIONS.slice(0, 2)) db.exec(m.up);
  db.exec("INSERT INTO notes (title) VALUES ('groceries'), ('ideas'); INSERT INTO tags (note_id, name) VALUES (1, 'home'), (2, 'work');");
  writeToolHistory(db, tool, MIGRATIONS.slice(0, 2));
  if (extra) db.exec(extra);
  db.close();
  return path;
}

describe('mfmig migrate adopts a database another tool migrated, and runs nothing that tool applied', () => {
  let dir: string;
  let run: (args: string[]) => ReturnType<typeof mfmig>;
  beforeEach(() => {
    dir = tempDir('mfmig-adopt-');
    writeMigrations(dir, Object.fromEntries(MIGRATIONS.map((m) => [`mvp${m.mvp}/${m.version}_${m.name}.sql`, sqlMigration(m.up)])));
    run = (args) => mfmig(dir, ['--db', 'notes.db', ...args]);
  });

  it('dbmate: status, plan and a dry run show the adoption and write nothing; migrate records it and applies only the third migration', () => {
    const db = toolDatabase(dir, 'dbmate');
    const sha = sha256File(db);
    const dbmateRows = query(db, 'SELECT * FROM schema_migrations ORDER BY version');

    const status = run(['--json', 'status']);
    expect(status.code).toBe(0);
    expect(status.json.adoption).toMatchObject({ tool: 'dbmate', table: 'schema_migrations', version: V2, versions: [V1, V2], recorded: false });
    expect(status.json.pending.map((p: { version: number }) => p.version)).toEqual([V3]);
    const plan = run(['--json', 'plan']);
    expect(plan.code).toBe(0);
    expect(plan.json.adoption).toMatchObject({ tool: 'dbmate', version: V2 });
    expect(plan.json.steps.map((s: { version: number }) => s.version)).toEqual([V3]);
    const dry = run(['--json', 'migrate', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.json.migrations.map((m: { version: number }) => m.version)).toEqual([V3]);
    expect(sha256File(db)).toBe(sha);

    const migrated = run(['--json', '--yes', 'migrate']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.json.migrations.map((m: { version: number }) => m.version)).toEqual([V3]);
    expect(migrated.json.extras.adoption).toMatchObject({ tool: 'dbmate', version: V2, recorded: true });
    expect(query(db, 'SELECT id, title, pinned FROM notes ORDER BY id')).toEqual([
      { id: 1, title: 'groceries', pinned: 0 },
      { id: 2, title: 'ideas', pinned: 0 },
    ]);
    expect(query(db, 'SELECT note_id, name FROM tags ORDER BY id')).toEqual([
      { note_id: 1, name: 'home' },
      { note_id: 2, name: 'work' },
    ]);
    const history = run(['--json', 'history']).json.history as { version: number }[];
    expect(history.map((h) => h.version)).toEqual([V1, V2, V3]);
    expect(query(db, 'SELECT action, version FROM mfmig_audit')).toEqual([{ action: 'dbmate', version: V2 }]);
    expect(query(db, 'SELECT * FROM schema_migrations ORDER BY version')).toEqual(dbmateRows);
    expect(run(['--json', 'status']).json).toMatchObject({ currentVersion: V3, pending: [], problems: [] });
  });

  it('golang-migrate: its one clean row adopts every version up to it (a WAL database, previewed on a copy first)', () => {
    const db = toolDatabase(dir, 'golang-migrate');
    const handle = new Database(db);
    handle.pragma('journal_mode = WAL');
    handle.close();
    const dry = run(['--json', 'migrate', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json.migrations.map((m: { version: number }) => m.version)).toEqual([V3]);
    const rows = query(db, 'SELECT * FROM schema_migrations');
    const migrated = run(['--json', '--yes', 'migrate']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.json.migrations.map((m: { version: number }) => m.version)).toEqual([V3]);
    expect(query(db, 'SELECT version FROM mfmig_history ORDER BY version')).toEqual([{ version: V1 }, { version: V2 }, { version: V3 }]);
    expect(query(db, 'SELECT count(*) AS n FROM notes')).toEqual([{ n: 2 }]);
    expect(query(db, 'SELECT * FROM schema_migrations')).toEqual(rows);
  });

  it('a dirty golang-migrate row is refused (exit 3) with the file unchanged, by migrate, a dry run and status alike', () => {
    const db = toolDatabase(dir, 'golang-migrate', 'UPDATE schema_migrations SET dirty = 1');
    const sha = sha256File(db);
    for (const args of [['migrate'], ['--json', '--yes', 'migrate'], ['migrate', '--dry-run']]) {
      const refused = run(args);
      expect(refused.code, args.join(' ')).toBe(3);
      if (args.includes('--json')) expect(refused.json.error).toMatchObject({ code: 'ADOPTION_REFUSED' });
      expect(sha256File(db)).toBe(sha);
    }
    const status = run(['--json', 'status']);
    expect(status.json.problems).toContainEqual(expect.objectContaining({ code: 'ADOPTION_REFUSED', severity: 'error' }));
    expect(sha256File(db)).toBe(sha);
  });
});
