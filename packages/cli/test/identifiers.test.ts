import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyMvp1, mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';
import { kbChecksums, withDb } from './harness/db-state.js';

/**
 * Hostile identifiers: a table named `x"; DROP TABLE kb_entries; --` with columns whose names
 * hold quotes, brackets and backticks, an index and a view with hostile names too. Every place
 * mfmig puts a name into SQL (validation, planning, the table rebuild, the archive of a rollback
 * with data preservation, the rollback itself) must quote it, and the KB must come out intact.
 */
const T = 'x"; DROP TABLE kb_entries; --';
const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const COLUMNS = ['a"b', "it's", '[c]', '`d`; DROP TABLE kb_tags'];
const CREATE = `CREATE TABLE ${q(T)} (id INTEGER PRIMARY KEY, ${q(COLUMNS[0]!)} TEXT NOT NULL, ${q(COLUMNS[1]!)} INTEGER NOT NULL, ${q(COLUMNS[2]!)} TEXT, ${q(COLUMNS[3]!)} TEXT, entry_id INTEGER REFERENCES kb_entries (id) ON DELETE CASCADE)`;
const REBUILT = CREATE.replace(/\)$/, `, ${q('new "col"')} TEXT NOT NULL DEFAULT '')`);
const INDEX = 'ix"; DROP TABLE kb_feedback; --';
const VIEW = 'v"; DELETE FROM kb_entries; --';
const ROWS = 120;

const FILES: Record<string, string> = {
  'mvp2/0003_hostile_table.sql': sqlMigration(
    `${CREATE};
CREATE INDEX ${q(INDEX)} ON ${q(T)} (${q(COLUMNS[0]!)}, ${q(COLUMNS[2]!)});
CREATE VIEW ${q(VIEW)} AS SELECT id, ${q(COLUMNS[0]!)} AS title, ${q(COLUMNS[3]!)} AS note FROM ${q(T)};
INSERT INTO ${q(T)} (${COLUMNS.map(q).join(', ')}, entry_id) SELECT title, usage_count, category, 'it''s "quoted"; --', id FROM kb_entries WHERE id % 2 = 0;`,
    `DROP VIEW ${q(VIEW)};\nDROP TABLE ${q(T)};`,
  ),
  'mvp2/0004_rebuild_hostile_table.ts': `
export const meta = { foreignKeys: 'off', description: 'rebuild the hostile table with one more column' };
export async function up(_db, ctx) {
  ctx.rebuildTable({ table: ${JSON.stringify(T)}, createSql: ${JSON.stringify(REBUILT)}, columnMap: { ${JSON.stringify('new "col"')}: ${JSON.stringify(`${q(COLUMNS[0]!)} || '!'`)} } });
}
export async function down(_db, ctx) {
  ctx.rebuildTable({ table: ${JSON.stringify(T)}, createSql: ${JSON.stringify(CREATE)} });
}
`,
};

let dir: string;
let kbBefore: Record<string, string>;
const run = (args: string[]) => mfmig(dir, ['--json', '--yes', ...args]);
const db = () => join(dir, 'knowledge.db');

beforeAll(() => {
  dir = tempDir('mfmig-ident-');
  copyMvp1(dir);
  writeMigrations(dir, FILES);
  expect(mfmig(dir, ['seed', '--rows', String(ROWS)]).code).toBe(0);
  kbBefore = withDb(db(), kbChecksums);
});

describe('a table named x"; DROP TABLE kb_entries; --', () => {
  it('is created, planned and rebuilt (ctx.rebuildTable, foreign keys off) with its rows, index and view', () => {
    const plan = run(['plan']);
    expect(plan.code, plan.stderr).toBe(0);
    const migrate = run(['migrate']);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.json.toVersion).toBe(4);
    withDb(db(), (d) => {
      expect(kbChecksums(d)).toEqual(kbBefore);
      const rows = d.prepare(`SELECT ${q(COLUMNS[0]!)} AS a, ${q('new "col"')} AS n, ${q(COLUMNS[3]!)} AS d FROM ${q(T)} ORDER BY id`).all() as {
        a: string;
        n: string;
        d: string;
      }[];
      expect(rows).toHaveLength(ROWS / 2);
      expect(rows.every((r) => r.n === `${r.a}!` && r.d === `it's "quoted"; --`)).toBe(true);
      expect(d.prepare('SELECT name FROM sqlite_schema WHERE tbl_name = ? ORDER BY name').pluck().all(T)).toEqual([INDEX, T]);
      expect(
        d
          .prepare(`SELECT count(*) FROM ${q(VIEW)}`)
          .pluck()
          .get(),
      ).toBe(ROWS / 2);
      expect(d.pragma('foreign_key_check')).toEqual([]);
    });
  });

  it('passes validation at every level, and the status, diff and backup commands handle it', () => {
    for (const level of ['quick', 'standard', 'comprehensive']) {
      const r = run(['validate', '--level', level]);
      expect(r.code, `${level}: ${r.stdout.slice(0, 2000)} ${r.stderr}`).toBe(0);
      expect(r.json.isValid).toBe(true);
    }
    expect(run(['status']).code).toBe(0);
    const diff = run(['diff', '--from', '2']);
    expect(diff.code, diff.stderr).toBe(0);
    expect(JSON.stringify(diff.json)).toContain('DROP TABLE kb_entries');
    expect(run(['backup']).code).toBe(0);
    withDb(db(), (d) => expect(kbChecksums(d)).toEqual(kbBefore));
  });

  it('is archived with its rows and dropped by a rollback with data preservation; the KB is intact', () => {
    const rollback = run(['rollback', '--to-mvp', '1']);
    expect(rollback.code, rollback.stderr).toBe(0);
    const preserved = rollback.json.result.preserved as { table: string; kind: string; columns: string[]; rows: number; location: string }[];
    const archive = preserved.find((p) => p.table === T && p.kind === 'table');
    const column = preserved.find((p) => p.table === T && p.kind === 'columns');
    expect(archive?.rows).toBe(ROWS / 2);
    expect(column?.columns).toEqual(['new "col"']);
    withDb(db(), (d) => {
      expect(kbChecksums(d)).toEqual(kbBefore);
      expect(d.prepare('SELECT max(version) FROM mfmig_history').pluck().get()).toBe(2);
      expect(d.prepare('SELECT count(*) FROM sqlite_schema WHERE name IN (?, ?, ?)').pluck().get(T, INDEX, VIEW)).toBe(0);
      const archived = d.prepare(`SELECT ${q(COLUMNS[3]!)} AS d, entry_id FROM ${q(archive!.location)} ORDER BY entry_id`).all() as {
        d: string;
        entry_id: number;
      }[];
      expect(archived).toHaveLength(ROWS / 2);
      expect(archived.every((r) => r.d === `it's "quoted"; --` && r.entry_id % 2 === 0)).toBe(true);
      const added = d
        .prepare(`SELECT ${q('new "col"')} FROM ${q(column!.location)}`)
        .pluck()
        .all() as string[];
      expect(added).toHaveLength(ROWS / 2);
      expect(added.every((v) => v.endsWith('!'))).toBe(true);
    });
  });

  it('comes back with its rows on migrate (archives restored), and rolls back a second time (new archive names)', () => {
    expect(run(['migrate']).code).toBe(0);
    withDb(db(), (d) =>
      expect(
        d
          .prepare(`SELECT count(*) FROM ${q(T)}`)
          .pluck()
          .get(),
      ).toBe(ROWS / 2),
    );
    const back = run(['rollback', '--to', '3']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.json.result.preserved.map((p: { location: string }) => p.location)).toEqual([`mfmig_archive_4_${T}_2`]);
    withDb(db(), (d) => {
      expect(kbChecksums(d)).toEqual(kbBefore);
      expect(
        d
          .prepare(`SELECT count(*) FROM ${q(T)}`)
          .pluck()
          .get(),
      ).toBe(ROWS / 2);
      expect((d.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(T) as string[]).includes('new "col"')).toBe(false);
    });
    expect(run(['validate']).code).toBe(0);
  });
});
