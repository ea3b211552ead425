// The filter a migration file passes at load: what it refuses must be refused however the SQL
// is quoted, and what merely mentions a forbidden word in a string or a quoted name must pass.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Migrator, assertSafeMigrationSql, isMfmigError, loadMigrations, openDatabase, quoteIdentifier } from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

/** The three files that walked around the old filter, with their targets inside `dir`. */
function hiddenStatements(dir: string): Record<string, string> {
  return {
    attach: `CREATE TABLE "q'1"(a); ATTACH DATABASE '${join(dir, 'x.db')}' AS x;`,
    vacuum: `CREATE TABLE [b--](a); VACUUM INTO '${join(dir, 'copy.db')}';`,
    history: "CREATE TABLE [c--](a); UPDATE mfmig_history SET checksum='forged';",
  };
}

function forbiddenCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isMfmigError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('assertSafeMigrationSql', () => {
  it('sees the statements that hide behind a quote inside another kind of quote, which SQLite runs', () => {
    const dir = tempDir();
    for (const [what, sql] of Object.entries(hiddenStatements(dir))) {
      expect(
        forbiddenCode(() => assertSafeMigrationSql(sql, `${what}.sql`)),
        what,
      ).toBe('MIGRATION_FORBIDDEN');
    }
    // the files are hostile for real: SQLite itself runs what they hide
    const db = new Database(join(dir, 'scratch.db'));
    db.exec("CREATE TABLE mfmig_history (version INTEGER, checksum TEXT); INSERT INTO mfmig_history VALUES (1, 'real');");
    for (const sql of Object.values(hiddenStatements(dir))) db.exec(sql);
    expect(db.prepare('SELECT checksum FROM mfmig_history').pluck().get()).toBe('forged');
    db.close();
    expect(existsSync(join(dir, 'x.db'))).toBe(true);
    expect(existsSync(join(dir, 'copy.db'))).toBe(true);
  });

  it('refuses every script in which SQLite would attach a database or write mfmig_history', () => {
    const tricky = fc.string({ unit: fc.constantFrom("'", '"', '`', '[', ']', '-', '/', '*', ';', '\n', 'x', ' '), maxLength: 8 });
    const piece = fc.oneof(
      tricky.map((name) => `CREATE TABLE ${quoteIdentifier(`t${name}`)}(a);`),
      tricky.filter((name) => !name.includes(']')).map((name) => `CREATE TABLE [u${name}](a);`),
      tricky.map((name) => `CREATE TABLE \`v${name.replaceAll('`', '``')}\`(a);`),
      tricky.map((text) => `SELECT '${text.replaceAll("'", "''")}';`),
      tricky.filter((text) => !text.includes('*/')).map((text) => `/*${text}*/`),
      fc.constantFrom("ATTACH ':memory:' AS other;", "UPDATE mfmig_history SET checksum = 'forged';", "'", '"', '[', '--', '/*'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const sql = parts.join(' ');
        const db = new Database(':memory:');
        db.exec("CREATE TABLE mfmig_history (checksum TEXT); INSERT INTO mfmig_history VALUES ('real');");
        try {
          db.exec(sql);
        } catch {
          // SQLite stops at the first statement it cannot read; the ones before it ran
        }
        const harmed = (db.pragma('database_list') as unknown[]).length > 1 || db.prepare('SELECT checksum FROM mfmig_history').pluck().get() !== 'real';
        db.close();
        if (harmed) expect(forbiddenCode(() => assertSafeMigrationSql(sql, 'x.sql'))).toBe('MIGRATION_FORBIDDEN');
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['a verb after a comment', '/* note */ATTACH ? AS x'],
    ['a verb in lower case after an empty statement', 'SELECT 1;; detach x'],
    ['EXPLAIN before the verb', 'EXPLAIN QUERY PLAN VACUUM'],
    ['a backtick name holding a quote', "CREATE TABLE `d'`(a); VACUUM;"],
    ['a quoted name of an mfmig_ table', 'DELETE FROM "MFMIG_HISTORY"'],
    ['a bracketed name of an mfmig_ table', 'DROP TABLE main.[mfmig_lock]'],
    ['a string where a table name belongs', "UPDATE 'mfmig_history' SET checksum = 'x'"],
    ['a new mfmig_ table', 'CREATE TABLE mfmig_extra (a)'],
    ['writable_schema', 'PRAGMA writable_schema = ON'],
    ['writable_schema, quoted and qualified', "PRAGMA main.'Writable_Schema' = 1"],
  ])('refuses %s', (_what, sql) => {
    expect(forbiddenCode(() => assertSafeMigrationSql(sql, 'x.sql'))).toBe('MIGRATION_FORBIDDEN');
  });

  it.each([
    ['a string that mentions the words', "INSERT INTO notes VALUES ('please vacuum', 'attach it', 'detach it', 'writable_schema', 'see mfmig_history first')"],
    ['quoted names that are the words', 'CREATE TABLE t ("vacuum" INT, [attach] INT, `detach` INT, "writable_schema" INT)'],
    ['bare column names that are the words', 'CREATE TABLE t (vacuum INT, attach INT, detach INT, writable_schema INT); SELECT vacuum FROM t'],
    ['comments that mention them', '-- ATTACH x; VACUUM; mfmig_history\nSELECT 1 /* PRAGMA writable_schema = 1 */'],
    ['a name that only contains mfmig_', 'CREATE TABLE my_mfmig_notes ("old mfmig_history" TEXT)'],
    ['another pragma', 'PRAGMA foreign_keys = off; PRAGMA schema.user_version'],
  ])('allows %s', (_what, sql) => {
    expect(() => assertSafeMigrationSql(sql, 'x.sql')).not.toThrow();
  });
});

describe('loading migration files', () => {
  it('refuses each hidden statement at load with MIGRATION_FORBIDDEN, and nothing is created', async () => {
    for (const what of ['attach', 'vacuum', 'history']) {
      const dir = tempDir();
      mkdirSync(join(dir, 'migrations/mvp1'), { recursive: true });
      writeFileSync(join(dir, 'migrations/mvp1/0001_init.sql'), '-- migrate:up\nCREATE TABLE notes (body TEXT);\n');
      writeFileSync(join(dir, `migrations/mvp1/0002_${what}.sql`), `-- migrate:up\n${hiddenStatements(dir)[what]}\n`);
      const error = await loadMigrations(join(dir, 'migrations')).catch((e: unknown) => e);
      expect(isMfmigError(error) && error.code, what).toBe('MIGRATION_FORBIDDEN');
      expect(isMfmigError(error) && error.message, what).toContain(`0002_${what}.sql`);
      expect(readdirSync(dir), what).toEqual(['migrations']);
    }
  });

  it('leaves VACUUM to a PostgreSQL transaction: none file, and still refuses mfmig_ names there', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'migrations/mvp1'), { recursive: true });
    writeFileSync(
      join(dir, 'migrations/mvp1/0001_vacuum.sql'),
      '-- transaction: none\n-- migrate:up\nVACUUM (ANALYZE) notes;\n-- migrate:down\nVACUUM notes;\n',
    );
    const loaded = await loadMigrations(join(dir, 'migrations'), { dialect: 'postgres' });
    expect(loaded.migrations.map((m) => [m.version, m.transaction])).toEqual([[1, 'none']]);
    const onSqlite = await loadMigrations(join(dir, 'migrations')).catch((e: unknown) => e);
    expect(isMfmigError(onSqlite) && onSqlite.code).toBe('MIGRATION_FORBIDDEN');
    writeFileSync(join(dir, 'migrations/mvp1/0002_history.sql'), '-- migrate:up\nDELETE FROM "mfmig_history";\n');
    const history = await loadMigrations(join(dir, 'migrations'), { dialect: 'postgres' }).catch((e: unknown) => e);
    expect(isMfmigError(history) && [history.code, history.message.includes('0002_history.sql')]).toEqual(['MIGRATION_FORBIDDEN', true]);
  });

  it('runs the look-alikes, which SQLite reads as data and names', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'migrations/mvp1'), { recursive: true });
    writeFileSync(
      join(dir, 'migrations/mvp1/0001_lookalikes.sql'),
      `-- migrate:up
CREATE TABLE t ("vacuum" TEXT, [attach] TEXT, vacuum_count INT); -- not a VACUUM
INSERT INTO t VALUES ('please vacuum', 'ATTACH DATABASE ''x'' AS y', 1);
`,
    );
    const adapter = openDatabase(join(dir, 'db.sqlite'), { create: true });
    const migrator = new Migrator({ adapter, migrations: await loadMigrations(join(dir, 'migrations')) });
    expect((await migrator.migrate({ latest: true })).error).toBeUndefined();
    expect(adapter.raw.prepare('SELECT "vacuum", [attach] FROM t').get()).toEqual({ vacuum: 'please vacuum', attach: "ATTACH DATABASE 'x' AS y" });
    adapter.close();
    expect(readdirSync(dir).sort()).toEqual(['db.sqlite', 'migrations']);
  });
});
