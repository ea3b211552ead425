import { spawnSync } from 'node:child_process';
import { type Dirent, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { startAppWriter } from '@mfmig/test-support';
import { mfmig, mfmigAsync, sha256File, sqlMigration, tempDir, writeMigrations } from './helpers.js';

/**
 * A notes app's history, written the way such projects write them: migration 1 starts with
 * `DROP TABLE IF EXISTS`, so running it again over an existing database deletes its notes.
 */
const NOTES_APP = {
  'mvp1/0001_create_notes.sql': sqlMigration(
    `DROP TABLE IF EXISTS notes;
CREATE TABLE notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX notes_created_at ON notes (created_at);`,
    'DROP TABLE notes;',
  ),
  'mvp1/0002_create_tags.sql': sqlMigration(
    `CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE note_tags (
  note_id INTEGER NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (note_id, tag_id)
);`,
    'DROP TABLE note_tags;\nDROP TABLE tags;',
  ),
  'mvp2/0003_add_archived.sql': sqlMigration(
    `ALTER TABLE notes ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
CREATE INDEX notes_active ON notes (created_at) WHERE archived = 0;`,
    'DROP INDEX notes_active;\nALTER TABLE notes DROP COLUMN archived;',
  ),
  'mvp2/0004_note_links.sql': sqlMigration(
    `CREATE TABLE note_links (
  from_id INTEGER NOT NULL REFERENCES notes(id),
  to_id INTEGER NOT NULL REFERENCES notes(id),
  PRIMARY KEY (from_id, to_id)
);`,
    'DROP TABLE note_links;',
  ),
  'mvp3/0005_pinned_notes.sql': sqlMigration(
    `ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
UPDATE notes SET pinned = 1 WHERE title LIKE '!%';`,
    'ALTER TABLE notes DROP COLUMN pinned;',
  ),
};

const ROWS = `INSERT INTO notes (title, body, created_at) VALUES ('!groceries', 'milk; eggs', '2024-01-02 10:00:00'), ('ideas', 'a migration tool', '2024-02-03 11:00:00'), ('old', 'archived one', '2023-05-06 12:00:00');
UPDATE notes SET archived = 1 WHERE title = 'old';
INSERT INTO tags (name) VALUES ('home'), ('work');
INSERT INTO note_tags VALUES (1, 1), (2, 2), (3, 1);`;

/** The `-- migrate:up` section of a migration file. */
function upSection(text: string): string {
  return text.split('-- migrate:up')[1]!.split('-- migrate:down')[0]!;
}

/** Runs SQL through the sqlite3 command-line shell, as a project without mfmig built its database. */
function sqlite3(db: string, sql: string): void {
  const r = spawnSync('sqlite3', ['-bail', db], { input: sql, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.error?.message ?? r.stderr}`);
}

/** A database built with the sqlite3 CLI from the up sections of the first `k` migrations, with rows. */
function existingDatabase(dir: string, files: Record<string, string>, k: number, extra = ''): string {
  const db = join(dir, 'notes.db');
  const migrations = Object.keys(files)
    .sort((a, b) => a.split('/')[1]!.localeCompare(b.split('/')[1]!))
    .slice(0, k);
  for (const file of migrations) sqlite3(db, upSection(readFileSync(join(dir, 'migrations', file), 'utf8')));
  sqlite3(db, ROWS + extra);
  return db;
}

function query(db: string, sql: string): unknown[] {
  const handle = new Database(db, { readonly: true });
  try {
    return handle.prepare(sql).all();
  } finally {
    handle.close();
  }
}

/** Every file under `dir` (relative paths), to prove a refused command leaves no file behind. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const NOTES = 'SELECT id, title, body, created_at, archived FROM notes ORDER BY id';
const NOTE_TAGS = 'SELECT * FROM note_tags ORDER BY note_id, tag_id';
const TAGS = 'SELECT * FROM tags ORDER BY id';

describe('mfmig baseline: existing databases are adopted, never overwritten', () => {
  let dir: string;
  let run: (args: string[]) => ReturnType<typeof mfmig>;
  beforeEach(() => {
    dir = tempDir('mfmig-baseline-');
    writeMigrations(dir, NOTES_APP);
    run = (args) => mfmig(dir, ['--db', 'notes.db', ...args]);
  });

  it('refuses migrate on a database the sqlite3 CLI built from migrations 1-3, adopts it at 3, then applies 4-5 keeping every row', () => {
    const db = existingDatabase(dir, NOTES_APP, 3);
    const notes = query(db, NOTES);
    const tags = query(db, TAGS);
    const noteTags = query(db, NOTE_TAGS);
    expect(notes).toHaveLength(3);
    const sha = sha256File(db);
    const files = filesUnder(dir);

    for (const args of [['migrate'], ['--json', '--yes', 'migrate', '--to', '5'], ['migrate', '--dry-run']]) {
      const refused = run(args);
      expect(refused.code, args.join(' ')).toBe(3);
      expect(sha256File(db)).toBe(sha);
      expect(filesUnder(dir)).toEqual(files);
      if (args.includes('--json')) expect(refused.json.error).toMatchObject({ code: 'ADOPTION_REQUIRED', hint: expect.stringContaining('mfmig baseline') });
    }
    expect(query(db, "SELECT name FROM sqlite_schema WHERE name LIKE 'mfmig%'")).toEqual([]);

    const dry = run(['--json', 'baseline', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.json).toMatchObject({ version: 3, matched: 'exact', candidates: [3], dryRun: true, recorded: [] });
    expect(sha256File(db)).toBe(sha);

    const adopted = run(['--json', 'baseline']);
    expect(adopted.code).toBe(0);
    expect(adopted.json).toMatchObject({ version: 3, matched: 'exact', candidates: [3], differences: [], recorded: [1, 2, 3], source: 'baseline' });

    const history = run(['--json', 'history']).json;
    expect(history.history.map((h: { version: number; status: string }) => [h.version, h.status])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
      [3, 'applied'],
    ]);
    expect(history.audit).toEqual([expect.objectContaining({ action: 'baseline', version: 3, detail: expect.stringContaining('match=exact') })]);
    expect(history.audit[0].detail).toContain('source=baseline');
    expect(query(db, NOTES)).toEqual(notes);

    const status = run(['--json', 'status']);
    expect(status.code).toBe(0);
    expect(status.json).toMatchObject({ currentVersion: 3, problems: [], drift: { hasDrift: false } });
    expect(status.json.pending.map((p: { version: number }) => p.version)).toEqual([4, 5]);

    const migrated = run(['--json', '--yes', 'migrate']);
    expect(migrated.code).toBe(0);
    expect(migrated.json.migrations.map((m: { version: number }) => m.version)).toEqual([4, 5]);
    expect(query(db, NOTES)).toEqual(notes);
    expect(query(db, TAGS)).toEqual(tags);
    expect(query(db, NOTE_TAGS)).toEqual(noteTags);
    expect(query(db, 'SELECT title, pinned FROM notes ORDER BY id')).toEqual([
      { title: '!groceries', pinned: 1 },
      { title: 'ideas', pinned: 0 },
      { title: 'old', pinned: 0 },
    ]);
    expect(query(db, 'SELECT version FROM mfmig_history ORDER BY version').map((r) => (r as { version: number }).version)).toEqual([1, 2, 3, 4, 5]);
    expect(run(['--json', 'status']).json).toMatchObject({ currentVersion: 5, pending: [], drift: { hasDrift: false } });
  });

  it('refuses an ambiguous match (a data-only migration after 3), adopts with --to 3, and then runs the data migration', () => {
    writeMigrations(dir, {
      'mvp2/0004_note_links.sql': sqlMigration("INSERT INTO tags (name) VALUES ('inbox');", "DELETE FROM tags WHERE name = 'inbox';"),
    });
    const db = existingDatabase(dir, NOTES_APP, 3);
    const sha = sha256File(db);
    const refused = run(['--json', 'baseline']);
    expect(refused.code).toBe(3);
    expect(refused.json.error.code).toBe('ADOPTION_REFUSED');
    expect(sha256File(db)).toBe(sha);

    const adopted = run(['--json', 'baseline', '--to', '3']);
    expect(adopted.code).toBe(0);
    expect(adopted.json).toMatchObject({ version: 3, matched: 'exact', candidates: [3, 4], recorded: [1, 2, 3] });
    expect(run(['--yes', 'migrate']).code).toBe(0);
    expect(query(db, TAGS)).toEqual([
      { id: 1, name: 'home' },
      { id: 2, name: 'work' },
      { id: 3, name: 'inbox' },
    ]);
  });

  it('refuses a schema that matches no version; --to without --force shows the differences and refuses; --to --force adopts as forced', () => {
    const db = existingDatabase(dir, NOTES_APP, 3, '\nCREATE TABLE app_cache (key TEXT PRIMARY KEY, value TEXT);');
    const sha = sha256File(db);
    const none = run(['--json', 'baseline']);
    expect(none.code).toBe(3);
    expect(none.json.error.code).toBe('ADOPTION_REFUSED');
    expect(sha256File(db)).toBe(sha);

    const stated = run(['baseline', '--to', '3']);
    expect(stated.code).toBe(3);
    expect(stated.stdout).toContain('app_cache');
    expect(sha256File(db)).toBe(sha);

    const noTarget = run(['baseline', '--force']);
    expect(noTarget.code).toBe(2);
    expect(sha256File(db)).toBe(sha);
    expect(run(['baseline', '--to', '9', '--force']).code).toBe(2);
    expect(sha256File(db)).toBe(sha);

    const forced = run(['--json', 'baseline', '--to', '3', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.json).toMatchObject({ version: 3, matched: 'forced', candidates: [], recorded: [1, 2, 3] });
    expect(forced.json.differences.map((c: { kind: string; object: string }) => [c.kind, c.object])).toEqual([['table-added', 'app_cache']]);
    const audit = run(['--json', 'history']).json.audit;
    expect(audit).toEqual([expect.objectContaining({ action: 'baseline', version: 3, detail: expect.stringContaining('match=forced; differences=1') })]);
    const status = run(['--json', 'status']).json;
    expect(status).toMatchObject({ currentVersion: 3, drift: { hasDrift: true } });
    expect(status.drift.changes).toEqual([expect.stringContaining('app_cache')]);

    const notes = query(db, NOTES);
    expect(run(['--yes', 'migrate']).code).toBe(0);
    expect(query(db, NOTES)).toEqual(notes);
    expect(query(db, 'SELECT count(*) AS n FROM app_cache')).toEqual([{ n: 0 }]);
  });

  it('adopts a database while the application beside it keeps adding notes: no write fails or is lost, and the next migrate keeps them all', async () => {
    const db = existingDatabase(dir, NOTES_APP, 3);
    const app = await startAppWriter({
      db,
      sql: "INSERT INTO notes (title, body) VALUES ('app ' || :tick, 'written while mfmig adopted the file')",
      params: { tick: '$tick' },
      intervalMs: 5,
      busyTimeoutMs: 5000,
    });
    let report;
    try {
      const adopted = await mfmigAsync(dir, ['--db', 'notes.db', '--json', 'baseline']).done;
      expect(adopted.code).toBe(0);
      expect(adopted.json).toMatchObject({ version: 3, matched: 'exact', recorded: [1, 2, 3] });
    } finally {
      report = await app.stop();
    }
    expect(report.failed).toEqual([]);
    expect(report.writes.length).toBeGreaterThan(0);
    const written = query(db, "SELECT title FROM notes WHERE title LIKE 'app %' ORDER BY id").map((r) => (r as { title: string }).title);
    expect(written).toEqual(report.writes.map((w) => `app ${w.tick}`));
    expect(run(['--json', '--yes', 'migrate']).code).toBe(0);
    expect(query(db, 'SELECT count(*) AS n FROM notes')).toEqual([{ n: 3 + written.length }]);
    expect(query(db, 'SELECT version FROM mfmig_history ORDER BY version').map((r) => (r as { version: number }).version)).toEqual([1, 2, 3, 4, 5]);
  });

  it('two baselines started at once adopt the database once: one records it, the other is refused and writes nothing', async () => {
    const db = existingDatabase(dir, NOTES_APP, 3);
    const runs = await Promise.all([0, 1].map(() => mfmigAsync(dir, ['--db', 'notes.db', '--json', 'baseline']).done));
    expect(runs.map((r) => r.code).sort()).toEqual([0, 3]);
    const refused = runs.find((r) => r.code === 3)!.json as { error: { code: string } };
    expect(refused.error.code).toBe('ADOPTION_REFUSED');
    expect(query(db, 'SELECT version, run_id FROM mfmig_history ORDER BY version').map((r) => (r as { version: number }).version)).toEqual([1, 2, 3]);
    expect(new Set(query(db, 'SELECT run_id FROM mfmig_history').map((r) => (r as { run_id: string }).run_id)).size).toBe(1);
    expect(query(db, "SELECT action, version FROM mfmig_audit WHERE action = 'baseline'")).toEqual([{ action: 'baseline', version: 3 }]);
    expect(query(db, 'SELECT count(*) AS n FROM mfmig_schema_snapshots')).toEqual([{ n: 1 }]);
  });

  it('refuses to baseline a database that already has history, and leaves it unchanged', () => {
    expect(run(['--yes', 'migrate', '--to', '2']).code).toBe(0);
    const db = join(dir, 'notes.db');
    sqlite3(db, "INSERT INTO notes (title) VALUES ('kept');");
    const sha = sha256File(db);
    for (const args of [['baseline'], ['baseline', '--to', '2', '--force']]) {
      const refused = run(['--json', ...args]);
      expect(refused.code, args.join(' ')).toBe(3);
      expect(refused.json.error.code).toBe('ADOPTION_REFUSED');
      expect(sha256File(db)).toBe(sha);
    }
  });

  it('emergency-rollback finds no run to revert after a baseline: the adopted migrations never ran here', () => {
    const db = existingDatabase(dir, NOTES_APP, 3);
    expect(run(['baseline']).code).toBe(0);
    const before = query(db, NOTES);
    const versions = query(db, 'SELECT version FROM mfmig_history ORDER BY version');
    const emergency = run(['--json', '--yes', 'emergency-rollback', 'failed-migration']);
    expect(emergency.code).toBe(0);
    expect(query(db, 'SELECT version FROM mfmig_history ORDER BY version')).toEqual(versions);
    expect(query(db, NOTES)).toEqual(before);
  });
});

describe('mfmig migrate: a refusal before the run changes nothing', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('mfmig-refusal-');
    writeMigrations(dir, {
      'mvp1/0001_items.sql': sqlMigration('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);', 'DROP TABLE items;'),
      'mvp2/0002_drop_items.sql': sqlMigration('DROP TABLE items;', 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);'),
    });
  });

  it('a high-risk plan without --yes (RISK_NOT_ACCEPTED) leaves the file and the folder as they were', () => {
    expect(mfmig(dir, ['migrate', '--to', '1']).code).toBe(0);
    const db = join(dir, 'knowledge.db');
    sqlite3(db, "INSERT INTO items (name) VALUES ('a'), ('b');");
    const sha = sha256File(db);
    const files = filesUnder(dir);
    const refused = mfmig(dir, ['--json', 'migrate']);
    expect(refused.code).toBe(3);
    expect(refused.json.error.code).toBe('RISK_NOT_ACCEPTED');
    expect(sha256File(db)).toBe(sha);
    expect(filesUnder(dir)).toEqual(files);
  });

  it('an unknown target leaves an existing file unchanged and creates no new one', () => {
    expect(mfmig(dir, ['migrate', '--to', '1']).code).toBe(0);
    const db = join(dir, 'knowledge.db');
    const sha = sha256File(db);
    const files = filesUnder(dir);
    expect(mfmig(dir, ['migrate', '--to', '7']).code).toBe(2);
    expect(sha256File(db)).toBe(sha);
    expect(filesUnder(dir)).toEqual(files);

    expect(mfmig(dir, ['--db', 'new.db', 'migrate', '--to', '7']).code).toBe(2);
    expect(mfmig(dir, ['--db', 'new.db', 'migrate', '--to-mvp', '4']).code).toBe(2);
    expect(filesUnder(dir)).toEqual(files);
  });

  it('a high-risk plan on a database that does not exist yet leaves no file behind', () => {
    writeMigrations(dir, { 'mvp2/0002_drop_items.sql': sqlMigration("INSERT INTO items (name) VALUES ('seed');\nDROP TABLE items;", '') });
    const files = filesUnder(dir);
    const refused = mfmig(dir, ['--json', '--db', 'fresh.db', 'migrate']);
    expect(refused.code).toBe(3);
    expect(refused.json.error.code).toBe('RISK_NOT_ACCEPTED');
    expect(filesUnder(dir)).toEqual(files);
    expect(mfmig(dir, ['--yes', '--db', 'fresh.db', 'migrate']).code).toBe(0);
    expect(query(join(dir, 'fresh.db'), 'SELECT version FROM mfmig_history ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }]);
  });
});
