import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDatabaseIdentity, openDatabase } from '@mfmig/core';
import { BIN, cliEnv, copyMvp1, mfmig, sha256File, sqlMigration, tempDir } from './helpers.js';

/** A seeded MVP1 database to damage in copies. */
let seeded: string;
let seedDir: string;
beforeAll(() => {
  seedDir = tempDir();
  copyMvp1(seedDir);
  expect(mfmig(seedDir, ['seed', '--rows', '3000']).code).toBe(0);
  seeded = join(seedDir, 'knowledge.db');
});

function damagedCopy(name: string, damage: (file: string) => void): string {
  const file = join(seedDir, name);
  copyFileSync(seeded, file);
  damage(file);
  return file;
}

describe('damaged database files', () => {
  const cases: [string, (file: string) => void, number, string[]][] = [
    ['a truncated database', (f) => truncateSync(f, Math.floor(statSync(f).size / 2)), 2, ['DATABASE_CORRUPT']],
    [
      'a database with overwritten pages',
      (f) => {
        const fd = openSync(f, 'r+');
        const garbage = Buffer.alloc(4096 * 8, 0x5a);
        writeSync(fd, garbage, 0, garbage.length, 4096 * 3);
        closeSync(fd);
      },
      2,
      ['DATABASE_CORRUPT'],
    ],
    ['random bytes', (f) => writeFileSync(f, Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 256))), 2, ['DATABASE_INVALID']],
    ['a read-only database', (f) => chmodSync(f, 0o444), 2, ['DATABASE_READONLY']],
  ];
  for (const [what, damage, code, errorCodes] of cases) {
    it(`refuses ${what} with a one-line error and leaves its bytes unchanged`, () => {
      const file = damagedCopy(`${what.replace(/\W+/g, '-')}.db`, damage);
      const before = sha256File(file);
      for (const command of [['migrate'], ['migrate', '--dry-run']]) {
        const r = mfmig(seedDir, ['--json', '--db', file, ...command]);
        expect(r.code).toBe(code);
        expect(errorCodes).toContain(r.json.error.code);
        expect(r.stderr.split('\n').filter((l) => l.startsWith('mfmig:'))).toHaveLength(1);
        expect(r.stderr).not.toMatch(/^\s+at /m);
      }
      expect(sha256File(file)).toBe(before);
    });
  }
});

describe('hostile migration files', () => {
  it('rejects non-UTF-8 bytes and an oversized file, naming them', () => {
    const dir = tempDir();
    copyMvp1(dir);
    writeFileSync(
      join(dir, 'migrations/mvp1/0003_latin1.sql'),
      Buffer.concat([Buffer.from("-- migrate:up\nSELECT '"), Buffer.from([0xe9, 0xff]), Buffer.from("';\n")]),
    );
    let r = mfmig(dir, ['--json', 'migrate']);
    expect(r.code).toBe(2);
    expect(r.json.error.message).toContain('0003_latin1.sql');
    const big = tempDir();
    copyMvp1(big);
    const line = "INSERT INTO kb_tags (entry_id, tag) VALUES (1, 'x');\n";
    writeFileSync(join(big, 'migrations/mvp1/0003_huge.sql'), `-- migrate:up\n${line.repeat(Math.ceil((10 * 1024 * 1024) / line.length))}`);
    r = mfmig(big, ['--json', 'migrate']);
    expect(r.code).toBe(2);
    expect(r.json.error.message).toContain('0003_huge.sql');
  });

  // Each hides a statement behind a name whose quote the old filter misread; the paths are the
  // test's own, so that "nothing created outside" is checked where the files would have gone.
  const hidden = (dir: string): [string, string][] => [
    ['0003_attach.sql', `CREATE TABLE "q'1"(a); ATTACH DATABASE '${join(dir, 'x.db')}' AS x;`],
    ['0003_vacuum.sql', `CREATE TABLE [b--](a); VACUUM INTO '${join(dir, 'copy.db')}';`],
    ['0003_history.sql', "CREATE TABLE [c--](a); UPDATE mfmig_history SET checksum='forged';"],
  ];
  for (const index of [0, 1, 2]) {
    it(`refuses a statement hidden behind a quoted name at load (${hidden('')[index]![0]}), and creates nothing`, () => {
      const dir = tempDir();
      copyMvp1(dir);
      const db = join(dir, 'knowledge.db');
      copyFileSync(seeded, db);
      const [file, sql] = hidden(dir)[index]!;
      mkdirSync(join(dir, 'migrations/mvp2'));
      writeFileSync(join(dir, 'migrations/mvp2', file), sqlMigration(sql));
      const before = { db: sha256File(db), entries: readdirSync(dir).sort() };
      for (const command of [['migrate'], ['migrate', '--dry-run'], ['plan']]) {
        const r = mfmig(dir, ['--json', ...command]);
        expect(r.code, command.join(' ')).toBe(2);
        expect(r.json.error.code).toBe('MIGRATION_FORBIDDEN');
        expect(r.json.error.message).toContain(file);
      }
      expect({ db: sha256File(db), entries: readdirSync(dir).sort() }).toEqual(before);
      expect(existsSync(join(dir, 'x.db')) || existsSync(join(dir, 'copy.db'))).toBe(false);
    });
  }

  it('migrates the look-alikes: strings and quoted names that only mention the forbidden words', () => {
    const dir = tempDir();
    copyMvp1(dir);
    mkdirSync(join(dir, 'migrations/mvp2'));
    writeFileSync(
      join(dir, 'migrations/mvp2/0003_lookalikes.sql'),
      sqlMigration(
        `CREATE TABLE chores ("vacuum" TEXT, note TEXT);\nINSERT INTO chores VALUES ('please vacuum', 'ATTACH the ''mfmig_history'' report');`,
        'DROP TABLE chores;',
      ),
    );
    expect(mfmig(dir, ['--json', 'migrate']).code).toBe(0);
    const check = new Database(join(dir, 'knowledge.db'), { readonly: true });
    expect(check.prepare('SELECT "vacuum", note FROM chores').get()).toEqual({ vacuum: 'please vacuum', note: "ATTACH the 'mfmig_history' report" });
    check.close();
  });
});

describe('disk full', () => {
  it('fails a migration that fills the disk, says so, and leaves the previous version', () => {
    const dir = tempDir();
    copyMvp1(dir);
    const db = join(dir, 'knowledge.db');
    copyFileSync(seeded, db);
    mkdirSync(join(dir, 'migrations/mvp2'), { recursive: true });
    writeFileSync(
      join(dir, 'migrations/mvp2/0003_big.sql'),
      sqlMigration(
        'CREATE TABLE big (id INTEGER PRIMARY KEY, payload BLOB);\nWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO big (payload) SELECT randomblob(1000) FROM n;',
        'DROP TABLE big;',
      ),
    );
    // a copy gets an identity of its own before mfmig's first run on it; give it now, so that everything the failed run wrote shows
    const adapter = openDatabase(db);
    ensureDatabaseIdentity(adapter);
    adapter.close();
    const before = contentOf(db);
    const limitKb = Math.ceil(statSync(db).size / 1024) + 2048;
    const r = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f ${limitKb}; exec "${process.execPath}" "${BIN}" --json migrate`], {
      cwd: dir,
      encoding: 'utf8',
      env: cliEnv(),
    });
    expect(r.status).toBe(1);
    const error = JSON.parse(r.stdout).error;
    expect(error.code).toBe('DISK_FULL');
    expect(error.message).toMatch(/disk full/);
    const check = new Database(db, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(check.prepare('SELECT max(version) FROM mfmig_history').pluck().get()).toBe(2);
    expect(check.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'big'").pluck().get()).toBe(0);
    check.close();
    expect(contentOf(db)).toEqual(before);
    expect(mfmig(dir, ['--json', 'status']).json.problems).toEqual([expect.objectContaining({ code: 'MIGRATION_FAILED', version: 3 })]);
  });
});

/** Schema, history and every user row: what must not change when a run fails (the audit log notes the failure). */
function contentOf(file: string): Record<string, unknown> {
  const db = new Database(file, { readonly: true });
  try {
    const schema = db.prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'mfmig_lock%' ORDER BY name").all();
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'mfmig_lock'")
      .pluck()
      .all() as string[];
    const rows = Object.fromEntries(
      tables.map((t) => [
        t,
        db.prepare(t === 'mfmig_audit' ? "SELECT * FROM mfmig_audit WHERE action <> 'migration-failed' ORDER BY 1" : `SELECT * FROM "${t}" ORDER BY 1`).all(),
      ]),
    );
    return { schema, rows };
  } finally {
    db.close();
  }
}
