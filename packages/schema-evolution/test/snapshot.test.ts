import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CatalogTracker, canonicalSql, introspectSchema, parseCreateTable, schemaHash } from '@mfmig/schema-evolution';
import { MVP1, memoryDb } from './helpers.js';

const mvp1Sql = ['0001_create_knowledge_base.sql', '0002_add_usage_feedback.sql']
  .map((f) => readFileSync(join(MVP1, f), 'utf8').split('-- migrate:down')[0]!.replace('-- migrate:up', ''))
  .join('\n');

describe('schema snapshot and hash', () => {
  it('gives the same hash for the same schema spelt differently', () => {
    const a = memoryDb(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x' CHECK (length(name) > 0), n INT DEFAULT 0);
      CREATE INDEX i ON t (name) WHERE n > 0;
      CREATE VIEW v AS SELECT id, name FROM t;
      CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET n = n + 1 WHERE id = new.id; END;`);
    const b = memoryDb(`create table "t" ( -- the table
        id   integer primary key,
        name text not null default ('x') check(LENGTH( "name" )>0),
        [n] int default (0)
      );
      create   index "i" on [t]( name )  where n>0;
      create view v as select ID, NAME from T;
      create trigger tr after insert on t begin update t set n=n+1 where id=NEW.id; end;`);
    expect(schemaHash(a)).toBe(schemaHash(b));
    expect(schemaHash(a)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('does not depend on the order objects were created in', () => {
    const a = memoryDb('CREATE TABLE a (x); CREATE TABLE b (y); CREATE INDEX ib ON b (y);');
    const b = memoryDb('CREATE TABLE b (y); CREATE INDEX ib ON b (y); CREATE TABLE a (x);');
    expect(schemaHash(a)).toBe(schemaHash(b));
  });

  it('changes when the schema changes', () => {
    const base = 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)';
    const variants = [
      'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)',
      'CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(10) NOT NULL)',
      "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '')",
      'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)',
      'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE)',
      'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, x)',
      `${base}; CREATE INDEX i ON t (name)`,
      `${base}; CREATE VIEW v AS SELECT 1`,
    ];
    const hashes = new Set([schemaHash(memoryDb(base)), ...variants.map((v) => schemaHash(memoryDb(v)))]);
    expect(hashes.size).toBe(variants.length + 1);
  });

  it('leaves out mfmig_ and sqlite_ objects and virtual-table shadow tables', () => {
    const db = memoryDb(`CREATE TABLE kept (id INTEGER PRIMARY KEY AUTOINCREMENT);
      CREATE TABLE mfmig_history (version INTEGER PRIMARY KEY); CREATE INDEX mfmig_i ON mfmig_history (version);
      CREATE VIRTUAL TABLE search USING fts5(title, body); ANALYZE;`);
    const snapshot = introspectSchema(db);
    expect(snapshot.tables.map((t) => t.name)).toEqual(['kept', 'search']);
    expect(snapshot.tables[1]).toMatchObject({ virtual: true, module: 'fts5(title , body)' });
    expect(snapshot.indexes).toEqual([]);
  });

  it('describes the MVP1 schema: columns, keys, checks, foreign keys with actions, indexes, views', () => {
    const snapshot = introspectSchema(memoryDb(mvp1Sql));
    expect(snapshot.tables.map((t) => t.name)).toEqual(['kb_entries', 'kb_feedback', 'kb_tags']);
    const entries = snapshot.tables[0]!;
    expect(entries.primaryKey).toEqual(['id']);
    expect(entries.columns.find((c) => c.name === 'severity')).toMatchObject({ type: 'TEXT', notNull: true, defaultValue: "'medium'" });
    expect(entries.checks).toContain('length ( title ) between 1 and 255');
    const tags = snapshot.tables[2]!;
    expect(tags).toMatchObject({ withoutRowid: true, primaryKey: ['entry_id', 'tag'] });
    expect(tags.foreignKeys).toEqual([
      { columns: ['entry_id'], referencedTable: 'kb_entries', referencedColumns: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION', deferred: false },
    ]);
    expect(snapshot.indexes.map((i) => i.name)).toEqual(['idx_kb_entries_category', 'idx_kb_entries_created_at', 'idx_kb_feedback_entry', 'idx_kb_tags_tag']);
    expect(snapshot.views.map((v) => v.name)).toEqual(['kb_entry_stats']);
  });

  it('parses columns the way SQLite itself reports them (PRAGMA table_xinfo and foreign_key_list)', () => {
    const statements = [
      'CREATE TABLE p (a INTEGER PRIMARY KEY, b TEXT UNIQUE)',
      `CREATE TABLE c1 (id INTEGER PRIMARY KEY AUTOINCREMENT, p_id INT NOT NULL REFERENCES p (a) ON DELETE CASCADE ON UPDATE SET NULL,
         v VARCHAR ( 255 ) DEFAULT 'a,b' COLLATE NOCASE, w DECIMAL(10, 2) DEFAULT -1.5, g INT GENERATED ALWAYS AS (id * 2) STORED,
         CONSTRAINT ck CHECK (w >= 0), UNIQUE (v, w), FOREIGN KEY (v) REFERENCES p (b) ON DELETE SET DEFAULT DEFERRABLE INITIALLY DEFERRED)`,
      'CREATE TABLE c2 (x, y "UNSIGNED BIG INT" NOT NULL ON CONFLICT REPLACE, z BLOB DEFAULT (x\'00ff\'), PRIMARY KEY (x DESC, y)) WITHOUT ROWID',
      "CREATE TABLE c3 (id INTEGER PRIMARY KEY, s TEXT CHECK (s IN ('a', 'b')) NOT NULL, t ANY) STRICT",
      'CREATE TABLE "we""ird" ([a b] TEXT, `c` INT DEFAULT CURRENT_TIMESTAMP, "d" REFERENCES p)',
    ];
    const db = memoryDb(statements.join(';\n'));
    for (const table of introspectSchema(db).tables) {
      const pragma = db.prepare('SELECT name, type, "notnull" AS nn, dflt_value, pk FROM pragma_table_xinfo(?)').all(table.name) as {
        name: string;
        type: string;
        nn: number;
        dflt_value: string | null;
        pk: number;
      }[];
      expect(table.columns.map((c) => c.name)).toEqual(pragma.map((p) => p.name));
      for (const [i, p] of pragma.entries()) {
        const column = table.columns[i]!;
        expect(column.type.replace(/\s/g, '')).toBe(p.type.toUpperCase().replace(/\s/g, ''));
        expect(column.notNull).toBe(p.nn === 1);
        expect(column.primaryKey).toBe(p.pk);
        expect(column.defaultValue).toBe(p.dflt_value === null ? null : canonicalSql(p.dflt_value.replace(/^\((.*)\)$/s, '$1')));
      }
      const fks = db
        .prepare('SELECT "table" AS t, "from" AS f, "to" AS c, on_update AS u, on_delete AS d FROM pragma_foreign_key_list(?) ORDER BY id DESC, seq')
        .all(table.name) as {
        t: string;
        f: string;
        c: string | null;
        u: string;
        d: string;
      }[];
      expect(table.foreignKeys.map((fk) => [fk.referencedTable, fk.columns[0], fk.referencedColumns[0] ?? null, fk.onUpdate, fk.onDelete])).toEqual(
        fks.map((fk) => [fk.t.toLowerCase(), fk.f.toLowerCase(), fk.c, fk.u, fk.d]),
      );
    }
    const c1 = parseCreateTable(statements[1]!);
    expect(c1.columns.find((c) => c.name === 'g')?.generated).toEqual({ expression: 'id * 2', stored: true });
    expect(c1.columns.find((c) => c.name === 'v')).toMatchObject({ type: 'VARCHAR(255)', affinity: 'TEXT', collation: 'nocase' });
    expect(c1.uniqueConstraints).toEqual([['v', 'w']]);
    expect(c1.foreignKeys[1]).toMatchObject({ onDelete: 'SET DEFAULT', deferred: true });
  });

  it('tracks the schema incrementally with exactly the result of a full read', () => {
    let columnCounter = 0;
    const ddl = fc.constantFrom(
      (n: number) => `CREATE TABLE IF NOT EXISTS t${n} (id INTEGER PRIMARY KEY, v TEXT)`,
      (n: number) => `CREATE INDEX IF NOT EXISTS i${n} ON t${n % 3} (v)`,
      (n: number) => `DROP TABLE IF EXISTS t${n}`,
      (n: number) => `DROP INDEX IF EXISTS i${n}`,
      (n: number) => `ALTER TABLE t${n} ADD COLUMN c${++columnCounter} INT`,
      (n: number) => `CREATE VIEW IF NOT EXISTS v${n} AS SELECT ${n} AS x`,
      (n: number) => `CREATE TABLE IF NOT EXISTS a${n} (id INTEGER PRIMARY KEY AUTOINCREMENT)`,
      (n: number) => `CREATE VIRTUAL TABLE IF NOT EXISTS f${n} USING fts5(x)`,
      (n: number) => `CREATE TABLE IF NOT EXISTS mfmig_x${n} (a)`,
      (n: number) => `ALTER TABLE t${n} RENAME TO r${n}`,
      () => 'ANALYZE',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(ddl, fc.integer({ min: 0, max: 5 }), fc.boolean()), { minLength: 1, maxLength: 25 }), (steps) => {
        const db = memoryDb(
          'CREATE TABLE t0 (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE t1 (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE t2 (id INTEGER PRIMARY KEY, v TEXT)',
        );
        const tracker = new CatalogTracker();
        tracker.update(db);
        for (const [make, n, rollback] of steps) {
          db.exec('BEGIN');
          try {
            db.exec(make(n));
          } catch {
            // a statement that does not apply (no such table) is part of the sequence too
          }
          tracker.update(db);
          db.exec(rollback ? 'ROLLBACK' : 'COMMIT');
          tracker.update(db);
          expect(tracker.hash()).toBe(schemaHash(db));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('reads most schema changes without a full read', () => {
    const db = memoryDb();
    const tracker = new CatalogTracker();
    tracker.update(db);
    for (let i = 0; i < 50; i++) {
      db.exec(`CREATE TABLE t${i} (id INTEGER PRIMARY KEY); CREATE INDEX i${i} ON t${i} (id)`);
      tracker.update(db);
    }
    expect(tracker.fullReads).toBe(1);
    expect(tracker.objects().size).toBe(100);
    db.exec('ALTER TABLE t1 ADD COLUMN x');
    tracker.update(db);
    expect(tracker.fullReads).toBe(2);
    expect(tracker.hash()).toBe(schemaHash(db));
  });
});
