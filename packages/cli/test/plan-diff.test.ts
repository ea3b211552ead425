import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { REAL_MIGRATIONS, mfmig, sha256File, sqlMigration, tempDir, writeMigrations } from './helpers.js';

let dir: string;
let cache: string;
const env = () => ({ XDG_CACHE_HOME: cache });

beforeAll(() => {
  dir = tempDir();
  cache = join(dir, 'cache');
  cpSync(REAL_MIGRATIONS, join(dir, 'migrations'), { recursive: true });
  expect(mfmig(dir, ['seed', '--rows', '400']).code).toBe(0);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('mfmig plan', () => {
  it('prints the MVP1 -> MVP5 plan as JSON, changes nothing, and stores the machine calibration outside the database', () => {
    const db = join(dir, 'knowledge.db');
    const before = sha256File(db);
    const run = mfmig(dir, ['plan', '--to-mvp', '5', '--json'], env());
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ currentMVP: 1, targetMVP: 5, currentVersion: 2, targetVersion: 17, direction: 'up' });
    expect(run.json.steps.map((s: { version: number }) => s.version)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(['low', 'medium', 'high', 'critical']).toContain(run.json.riskLevel);
    expect(typeof run.json.estimatedDuration).toBe('number');
    expect(typeof run.json.requiresDowntime).toBe('boolean');
    expect(run.json.resources.storage.backupSpaceRequired).toBeGreaterThan(0);
    expect(run.json.steps.find((s: { version: number }) => s.version === 9).operations.some((o: { kind: string }) => o.kind === 'table-rebuild')).toBe(true);
    expect(sha256File(db)).toBe(before);
    expect(existsSync(join(cache, 'mfmig', 'calibration.json'))).toBe(true);
  });

  it('renders a table for people, plans down with --to, and refuses an unknown milestone', () => {
    const human = mfmig(dir, ['plan', '--to-mvp', '3'], env());
    expect(human.code).toBe(0);
    for (const name of ['add_incident_tracking', 'init_code_references', 'extend_kb_categories']) expect(human.stdout).toContain(name);
    const down = mfmig(dir, ['plan', '--to', '0', '--json'], env());
    expect(down.code).toBe(0);
    expect(down.json).toMatchObject({ direction: 'down', targetVersion: 0 });
    expect(down.json.steps.map((s: { version: number }) => s.version)).toEqual([2, 1]);
    expect(down.json.steps[1].rules.some((r: { rule: string; severity: string }) => r.rule === 'drop-table' && r.severity === 'high')).toBe(true);
    expect(mfmig(dir, ['plan', '--to-mvp', '9'], env()).code).toBe(2);
    expect(mfmig(dir, ['plan', '--to', '3', '--to-mvp', '2'], env()).code).toBe(2);
  });
});

describe('mfmig plan --downtime-threshold', () => {
  it('decides downtime against the given threshold, and refuses a bad value without touching the database', () => {
    const db = join(dir, 'knowledge.db');
    const before = sha256File(db);
    const strict = mfmig(dir, ['plan', '--to-mvp', '5', '--json', '--downtime-threshold', '0'], env());
    expect(strict.code).toBe(0);
    expect(strict.json).toMatchObject({ downtimeThresholdSeconds: 0, requiresDowntime: true });
    const lenient = mfmig(dir, ['plan', '--to-mvp', '5', '--json', '--downtime-threshold', '86400.5'], env());
    expect(lenient.code).toBe(0);
    expect(lenient.json).toMatchObject({ downtimeThresholdSeconds: 86400.5, requiresDowntime: false });
    for (const [command, bad] of [
      ['plan', '-1'],
      ['plan', '1e3'],
      ['migrate', 'soon'],
      ['migrate', ''],
    ] as const) {
      const run = mfmig(dir, [command, '--downtime-threshold', bad], env());
      expect(run.code, `${command} --downtime-threshold '${bad}'`).toBe(2);
      expect(run.stderr.trim().split('\n')[0]).toContain('--downtime-threshold');
    }
    expect(sha256File(db)).toBe(before);
  });
});

describe('mfmig plan over a rebuild with foreign keys on', () => {
  it('flags the cascade of DROP TABLE author into every book as critical, naming the child and its rows', () => {
    const work = tempDir();
    writeMigrations(work, {
      'mvp1/0001_init.sql': sqlMigration(
        'CREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE book(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES author(id) ON DELETE CASCADE, title TEXT);',
        'DROP TABLE book;\nDROP TABLE author;',
      ),
    });
    expect(mfmig(work, ['migrate']).code).toBe(0);
    const db = join(work, 'knowledge.db');
    const write = new Database(db);
    write.exec("INSERT INTO author (id, name) VALUES (1, 'Le Guin'), (2, 'Lem'); INSERT INTO book (author_id, title) VALUES (1, 'a'), (1, 'b'), (2, 'c');");
    write.close();
    writeMigrations(work, {
      'mvp2/0002_author_name_not_null.sql': sqlMigration(
        "CREATE TABLE author_new(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\nINSERT INTO author_new(id, name) SELECT id, coalesce(name, '') FROM author;\nDROP TABLE author;\nALTER TABLE author_new RENAME TO author;",
      ),
    });
    const before = sha256File(db);
    const run = mfmig(work, ['plan', '--to', '2', '--json'], { XDG_CACHE_HOME: join(work, 'cache') });
    expect(run.code).toBe(run.json.rehearsal?.failed ? 1 : 0);
    expect(run.json.riskLevel).toBe('critical');
    const rules = run.json.steps.find((s: { version: number }) => s.version === 2).rules.filter((r: { rule: string }) => r.rule === 'cascade-delete');
    expect(rules.map((r: { severity: string; details: Record<string, unknown> }) => [r.severity, r.details.child, r.details.rows, r.details.parent])).toEqual([
      ['critical', 'book', 3, 'author'],
    ]);
    expect(sha256File(db)).toBe(before);
    rmSync(work, { recursive: true, force: true });
  });
});

describe('mfmig diff', () => {
  it('diffs two versions and a version against the live schema, breaking changes classified', () => {
    const up = mfmig(dir, ['diff', '--from', '1', '--to', '2', '--json']);
    expect(up.code).toBe(0);
    expect(up.json.tables).toEqual({ added: ['kb_feedback'], removed: [], changed: [], renamed: [] });
    expect(up.json.breaking).toEqual([]);
    const down = mfmig(dir, ['diff', '--from', '9', '--to', '8', '--json']);
    expect(down.json.breaking.map((c: { kind: string; object: string }) => [c.kind, c.object])).toEqual([['check-changed', 'kb_entries']]);
    const live = mfmig(dir, ['diff', '--from', '0', '--json']);
    expect(live.json).toMatchObject({ from: 0, to: 'live' });
    expect(live.json.tables.added).toEqual(['kb_entries', 'kb_feedback', 'kb_tags']);
    expect(mfmig(dir, ['diff', '--from', '2', '--to', 'live', '--json']).json.changes).toEqual([]);
    expect(mfmig(dir, ['diff', '--from', '2', '--to', '1']).code).toBe(0);
  });

  it('exits 2 on an unknown version or a bad --to', () => {
    expect(mfmig(dir, ['diff', '--from', '99']).code).toBe(2);
    expect(mfmig(dir, ['diff', '--from', '1', '--to', 'yesterday']).code).toBe(2);
    expect(mfmig(dir, ['diff']).code).toBe(2);
  });
});
