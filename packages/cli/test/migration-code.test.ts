// Commands that only read must not run migration code: importing a .ts/.js module runs its
// top level. Each module here appends to a marker file when imported; the marker tells which
// commands ran it (README, "Which commands run migration code").
import { appendFileSync, copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { checksumMigration } from '@mfmig/core';
import { type CliRun, mfmig, sha256File, sqlMigration, tempDir, writeMigrations } from './helpers.js';

let dir: string;
let marker: string;
const files = {
  'mvp1/0001_notes.sql': sqlMigration('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);', 'DROP TABLE notes;'),
  'mvp1/0002_tag_notes.ts': `import { appendFileSync } from 'node:fs';
appendFileSync(process.env.MARKER!, 'ts\\n');
export const meta = { description: 'Tag every note' };
export async function up(_db: unknown, ctx: { exec(sql: string): void }) { ctx.exec('CREATE TABLE tags (id INTEGER PRIMARY KEY, note_id INTEGER)'); }
export async function down(_db: unknown, ctx: { exec(sql: string): void }) { ctx.exec('DROP TABLE tags'); }
`,
  'mvp2/0003_count_notes.js': `const { appendFileSync } = require('node:fs');
appendFileSync(process.env.MARKER, 'js\\n');
exports.meta = { description: 'Count the notes' };
exports.up = async (_db, ctx) => { ctx.exec("INSERT INTO notes (body) VALUES ('counted')"); };
exports.down = async (_db, ctx) => { ctx.exec("DELETE FROM notes WHERE body = 'counted'"); };
`,
};

const run = (args: string[]): CliRun => mfmig(dir, args, { MARKER: marker });
const ran = (): string => (existsSync(marker) ? readFileSync(marker, 'utf8') : '');
const checksumOf = (path: string) => checksumMigration(readFileSync(join(dir, 'migrations', path), 'utf8'));

beforeAll(() => {
  dir = tempDir('mfmig-code-');
  marker = join(dir, 'marker');
  writeMigrations(dir, files);
  const migrate = run(['migrate', '--yes']);
  expect(migrate.code, migrate.stderr).toBe(0);
});

describe('commands that run migration code', () => {
  it('migrate and plan import the modules (a run, or its rehearsal)', () => {
    // the migrate in beforeAll ran them
    expect(ran()).toMatch(/ts\n[\s\S]*js\n/);
    rmSync(marker, { force: true });
    expect(run(['plan']).code).toBe(0);
    expect(ran()).toContain('ts\n');
    expect(ran()).toContain('js\n');
  });
});

describe('commands that only read', () => {
  const database = () => join(dir, 'knowledge.db');

  it.each([['status'], ['history'], ['health'], ['validate'], ['validate', '--level', 'comprehensive'], ['backup', '--list'], ['checkpoint', '--list']])(
    '%s %s imports no module and leaves the database as it was',
    (...args) => {
      rmSync(marker, { force: true });
      const before = sha256File(database());
      const result = run(['--json', ...args]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.json).toBeDefined();
      expect(ran()).toBe('');
      expect(sha256File(database())).toBe(before);
    },
  );

  it('status reports the modules with the checksums recorded when they ran, and the schema as expected', () => {
    rmSync(marker, { force: true });
    const status = run(['--json', 'status']).json;
    expect(status.applied).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ version: 2, name: 'tag_notes', mvp: 1, checksum: checksumOf('mvp1/0002_tag_notes.ts') }),
        expect.objectContaining({ version: 3, name: 'count_notes', mvp: 2, checksum: checksumOf('mvp2/0003_count_notes.js') }),
      ]),
    );
    expect(status.problems).toEqual([]);
    expect(status.drift.hasDrift).toBe(false);
    expect(run(['--json', 'health']).json.checks.checksums).toMatchObject({ status: 'ok', problems: 0 });
    expect(ran()).toBe('');
  });

  it('says what it could not check without running a module that changed the schema', () => {
    rmSync(marker, { force: true });
    const validate = run(['--json', 'validate']).json;
    expect(validate.checksSkipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'schema.expected', reason: 'not-applicable', message: expect.stringContaining('0002_tag_notes') }),
      ]),
    );
    // without a stored snapshot, drift needs a replay: 0003 moved data only (same schema hash) and replays as a no-op, 0002 cannot
    const copy = join(tempDir('mfmig-code-nosnap-'), 'copy.db');
    copyFileSync(database(), copy);
    const db = new Database(copy);
    db.exec('DELETE FROM mfmig_schema_snapshots');
    db.close();
    const status = run(['--db', copy, '--json', 'status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.json.problems).toEqual([
      expect.objectContaining({ code: 'DRIFT_NOT_CHECKED', severity: 'warning', message: expect.stringContaining('0002_tag_notes') }),
    ]);
    expect(status.json.problems[0].message).not.toContain('0003');
    expect(status.json.drift).toMatchObject({ hasDrift: false, notChecked: status.json.problems[0].message });
    expect(run(['--db', copy, '--json', 'health']).json.checks.drift).toMatchObject({ status: 'warning' });
    expect(ran()).toBe('');
  });

  it("backup, checkpoint and restore import no module; the checkpoint records the modules' checksums", () => {
    rmSync(marker, { force: true });
    const backup = run(['--json', 'backup']);
    expect(backup.code, backup.stderr).toBe(0);
    const checkpoint = run(['--json', 'checkpoint', '--id', 'before-release']);
    expect(checkpoint.code, checkpoint.stderr).toBe(0);
    expect(checkpoint.json.migrations.checksums).toMatchObject({
      '2': checksumOf('mvp1/0002_tag_notes.ts'),
      '3': checksumOf('mvp2/0003_count_notes.js'),
    });
    expect(checkpoint.json.position).toMatchObject({ currentVersion: 3, currentMvp: 2 });
    const restore = run(['--json', 'restore', backup.json.id]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.json.restoredToVersion).toBe(3);
    expect(ran()).toBe('');
  });

  it('an edited module is reported by checksum without being run, and the database is left as it was', () => {
    const edited = tempDir('mfmig-code-edited-');
    writeMigrations(edited, files);
    expect(mfmig(edited, ['migrate', '--yes'], { MARKER: marker }).code).toBe(0);
    appendFileSync(join(edited, 'migrations', 'mvp1/0002_tag_notes.ts'), "appendFileSync(process.env.MARKER!, 'edited\\n');\n");
    rmSync(marker, { force: true });
    const before = sha256File(join(edited, 'knowledge.db'));
    const status = mfmig(edited, ['--json', 'status'], { MARKER: marker });
    expect(status.json.problems).toEqual([expect.objectContaining({ code: 'CHECKSUM_MISMATCH', version: 2 })]);
    const health = mfmig(edited, ['--json', 'health'], { MARKER: marker });
    expect(health.code).toBe(1);
    expect(health.json.checks.checksums).toMatchObject({ status: 'error', problems: 1 });
    expect(mfmig(edited, ['--json', 'validate'], { MARKER: marker }).json.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'HISTORY_CHECKSUM_MISMATCH', location: { version: 2 } })]),
    );
    expect(ran()).toBe('');
    expect(sha256File(join(edited, 'knowledge.db'))).toBe(before);
  });

  it('a pending module whose top level throws is listed by status, and refused by migrate (exit 2)', () => {
    const hostile = tempDir('mfmig-code-hostile-');
    writeMigrations(hostile, {
      ...files,
      'mvp2/0004_boom.ts': `import { appendFileSync } from 'node:fs';
appendFileSync(process.env.MARKER!, 'boom\\n');
throw new Error('this module must not be imported by a read-only command');
`,
    });
    expect(mfmig(hostile, ['migrate', '--to', '3', '--yes'], { MARKER: marker }).code).toBe(2);
    rmSync(marker, { force: true });
    // the database was never created: status needs one, so make it with the SQL migration alone
    const sqlOnly = tempDir('mfmig-code-sql-');
    writeMigrations(sqlOnly, { 'mvp1/0001_notes.sql': files['mvp1/0001_notes.sql'] });
    expect(mfmig(sqlOnly, ['--db', join(hostile, 'knowledge.db'), 'migrate', '--yes']).code).toBe(0);
    const before = sha256File(join(hostile, 'knowledge.db'));
    const status = mfmig(hostile, ['--json', 'status'], { MARKER: marker });
    expect(status.code, status.stderr).toBe(0);
    expect(status.json.pending).toEqual([
      { version: 2, name: 'tag_notes', mvp: 1 },
      { version: 3, name: 'count_notes', mvp: 2 },
      { version: 4, name: 'boom', mvp: 2 },
    ]);
    expect(ran()).toBe('');
    expect(sha256File(join(hostile, 'knowledge.db'))).toBe(before);
  });
});
