import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MfmigError } from '../src/errors/index.js';
import { analyzePostgresSql, type PgStatement, splitPostgresSql } from '../src/dialect/postgres/postgres-statements.js';

// the worker keeps its modules for the next test file (isolate: false): that file gets fresh ones, not the copies swapped here
afterAll(() => {
  vi.resetModules();
});

async function one(sql: string): Promise<PgStatement> {
  const statements = await analyzePostgresSql(sql);
  expect(statements).toHaveLength(1);
  return statements[0]!;
}

/** The last statement of a script, analysed after the ones before it. */
async function last(sql: string): Promise<PgStatement> {
  return (await analyzePostgresSql(sql)).at(-1)!;
}

const codes = (statement: PgStatement): string[] => statement.facts.map((fact) => fact.code);
const byTable = (locks: PgStatement['locks']): PgStatement['locks'] => [...locks].sort((a, b) => a.table.localeCompare(b.table));

async function syntaxError(sql: string): Promise<MfmigError> {
  const error = await analyzePostgresSql(sql).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MfmigError);
  return error as MfmigError;
}

describe('splitPostgresSql', () => {
  it('does not split on semicolons inside strings, quoted identifiers, E-strings or comments', async () => {
    const script = `INSERT INTO "a;b" VALUES ('x;y', 'it''s; fine', E'back\\'slash;');
-- a comment; still a comment
/* block; /* nested; */ still comment */ SELECT 1;`;
    expect(await splitPostgresSql(script)).toEqual([`INSERT INTO "a;b" VALUES ('x;y', 'it''s; fine', E'back\\'slash;')`, 'SELECT 1']);
  });

  it('keeps dollar-quoted and BEGIN ATOMIC function bodies whole', async () => {
    const plpgsql = `CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.updated_at := now(); -- a ; inside
  RETURN NEW;
END;
$fn$`;
    const atomic = 'CREATE FUNCTION two() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END';
    const body = 'DO $$ BEGIN PERFORM 1; END $$';
    expect(await splitPostgresSql(`${plpgsql};\n${atomic};\n${body};\nSELECT 3`)).toEqual([plpgsql, atomic, body, 'SELECT 3']);
  });

  it('leaves comments around a statement out, also after a last statement without semicolon', async () => {
    expect(await splitPostgresSql('-- head\nSELECT 1 /* inner */ + 2 -- tail\n;\n/* between */ SELECT 2 -- done\n/* end */ ')).toEqual([
      'SELECT 1 /* inner */ + 2',
      'SELECT 2',
    ]);
  });

  it('cuts at byte offsets: non-ASCII text before and inside statements', async () => {
    const script = "-- café ☕ 😀 naïve\nINSERT INTO notes VALUES ('héllo; wörld 😀');\nSELECT 'ü', '日本語;';\nSELECT 3";
    const statements = await analyzePostgresSql(script);
    expect(statements.map((s) => s.sql)).toEqual(["INSERT INTO notes VALUES ('héllo; wörld 😀')", "SELECT 'ü', '日本語;'", 'SELECT 3']);
    expect(statements.map((s) => s.line)).toEqual([2, 3, 4]);
  });

  it('gives the line of the first token of each statement', async () => {
    const script = '\n\n  SELECT 1;\n/* a\n   multi-line\n   comment */\n-- one more\n\nSELECT\n  2;   SELECT 3;\n\n\nSELECT 4';
    expect((await analyzePostgresSql(script)).map((s) => [s.sql, s.line])).toEqual([
      ['SELECT 1', 3],
      ['SELECT\n  2', 9],
      ['SELECT 3', 10],
      ['SELECT 4', 13],
    ]);
  });

  it('returns nothing for an empty script, blank lines, comments or lone semicolons', async () => {
    for (const script of ['', '  \n\t', '-- only a comment', '/* x */ ;; ;', '\uFEFF']) expect(await splitPostgresSql(script)).toEqual([]);
  });

  it('accepts a byte order mark before the first statement', async () => {
    expect(await analyzePostgresSql('\uFEFFSELECT 1')).toMatchObject([{ sql: 'SELECT 1', line: 1 }]);
  });

  it('splits random statements back in order, each of which parses alone', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 20 }).map((s) => s.replace(/\0/g, ''));
    const statement = fc.oneof(
      fc.integer().map((n) => `SELECT ${n}`),
      text.map((s) => `INSERT INTO notes (body) VALUES ('${s.replace(/'/g, "''")}')`),
      text.map((s) => `SELECT E'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`),
      text.map((s) => `SELECT $q$${s.replace(/\$/g, '')}$q$`),
      text.map((s) => `SELECT 1 /* ${s.replace(/\/\*|\*\//g, '')} */ + 1`),
      text.map((s) => `CREATE TABLE "${s.replace(/"/g, '""') || 'x'}" (id int)`),
      fc.constantFrom('CREATE INDEX CONCURRENTLY i ON t (a)', 'VACUUM', 'BEGIN', 'ALTER TABLE t ADD COLUMN c int'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(statement, { minLength: 1, maxLength: 6 }), async (statements) => {
        expect(await splitPostgresSql(statements.join(';\n'))).toEqual(statements);
        for (const sql of statements) expect((await analyzePostgresSql(sql)).map((s) => s.sql)).toEqual([sql]);
      }),
      { numRuns: 150 },
    );
  });
});

describe('analyzePostgresSql: statements refused inside a transaction block', () => {
  it.each([
    ['CREATE INDEX CONCURRENTLY users_email ON users (email)', 'CREATE INDEX CONCURRENTLY'],
    ['CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u ON app.users (email)', 'CREATE INDEX CONCURRENTLY'],
    ['DROP INDEX CONCURRENTLY users_email', 'DROP INDEX CONCURRENTLY'],
    ['REINDEX INDEX CONCURRENTLY users_email', 'REINDEX CONCURRENTLY'],
    ['REINDEX (CONCURRENTLY) TABLE users', 'REINDEX CONCURRENTLY'],
    ['REINDEX SCHEMA app', 'REINDEX SCHEMA'],
    ['REINDEX DATABASE shop', 'REINDEX DATABASE'],
    ['VACUUM', 'VACUUM'],
    ['VACUUM FULL users', 'VACUUM'],
    ['VACUUM (ANALYZE, VERBOSE) users', 'VACUUM'],
    ['CREATE DATABASE shop', 'CREATE DATABASE'],
    ['DROP DATABASE IF EXISTS shop', 'DROP DATABASE'],
    ["ALTER SYSTEM SET work_mem = '64MB'", 'ALTER SYSTEM'],
    ["CREATE TABLESPACE fast LOCATION '/ssd'", 'CREATE TABLESPACE'],
    ['DROP TABLESPACE fast', 'DROP TABLESPACE'],
    ['ALTER DATABASE shop SET TABLESPACE fast', 'ALTER DATABASE ... SET TABLESPACE'],
    ['CLUSTER', 'CLUSTER without a table name'],
    ['ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY', 'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY'],
    ["CREATE SUBSCRIPTION sub CONNECTION 'host=a' PUBLICATION pub", 'CREATE SUBSCRIPTION that creates a replication slot'],
    ['DROP SUBSCRIPTION sub', 'DROP SUBSCRIPTION of a subscription with a replication slot'],
    ['ALTER SUBSCRIPTION sub REFRESH PUBLICATION', 'ALTER SUBSCRIPTION ... REFRESH PUBLICATION'],
    ['ALTER SUBSCRIPTION sub SET PUBLICATION pub', 'ALTER SUBSCRIPTION ... PUBLICATION with refresh'],
    ['DISCARD ALL', 'DISCARD ALL'],
  ])('%s', async (sql, command) => {
    expect((await one(sql)).nonTransactional).toBe(`${command} cannot run inside a transaction block`);
  });

  it.each([
    'CREATE INDEX users_email ON users (email)',
    'DROP INDEX users_email',
    'REINDEX TABLE users',
    'REINDEX (CONCURRENTLY false) INDEX users_email',
    'ANALYZE users',
    "ALTER DATABASE shop SET work_mem = '64MB'",
    'CLUSTER users USING users_pkey',
    'ALTER TABLE events DETACH PARTITION events_2020',
    "CREATE SUBSCRIPTION sub CONNECTION 'host=a' PUBLICATION pub WITH (create_slot = false)",
    "CREATE SUBSCRIPTION sub CONNECTION 'host=a' PUBLICATION pub WITH (connect = false)",
    'ALTER SUBSCRIPTION sub SET PUBLICATION pub WITH (refresh = false)',
    'DISCARD PLANS',
    "ALTER TYPE mood ADD VALUE 'meh'",
    'BEGIN',
    'CREATE TABLE t (id int)',
  ])('%s runs in a transaction', async (sql) => {
    expect((await one(sql)).nonTransactional).toBeUndefined();
  });

  it('lets DROP SUBSCRIPTION run in a transaction once the script detached its slot', async () => {
    const statements = await analyzePostgresSql('ALTER SUBSCRIPTION sub DISABLE;\nALTER SUBSCRIPTION sub SET (slot_name = NONE);\nDROP SUBSCRIPTION sub');
    expect(statements.map((s) => s.nonTransactional)).toEqual([undefined, undefined, undefined]);
  });
});

describe('analyzePostgresSql: statements that keep the stored data', () => {
  it('knows index builds and drops, maintenance, comments, settings, a new enum value and a validation lose nothing', async () => {
    const keeping = [
      'CREATE INDEX CONCURRENTLY users_email ON users (email)',
      'DROP INDEX CONCURRENTLY IF EXISTS users_email',
      'DROP INDEX app.a, app.b',
      'REINDEX INDEX CONCURRENTLY users_email',
      'VACUUM (ANALYZE) users',
      'ANALYZE users',
      'CLUSTER users USING users_pkey',
      "COMMENT ON TABLE users IS 'people'",
      "SET lock_timeout = '2s'",
      'REFRESH MATERIALIZED VIEW CONCURRENTLY totals',
      "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'calm'",
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk',
    ];
    for (const sql of keeping) expect([sql, (await one(sql)).keepsData]).toEqual([sql, true]);
  });

  it('counts everything else as able to lose data, the statements it does not know included', async () => {
    const losing = [
      'DROP TABLE users',
      'DROP INDEX a; DROP TABLE b',
      'DROP MATERIALIZED VIEW totals',
      'ALTER TABLE users DROP COLUMN email',
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk, DROP COLUMN note',
      'ALTER TABLE users ALTER COLUMN id TYPE bigint',
      "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'",
      'DELETE FROM users',
      'UPDATE users SET email = NULL',
      'TRUNCATE users',
      'SELECT drop_everything()',
      "DO $$ BEGIN EXECUTE 'DROP TABLE users'; END $$",
      'ALTER TABLE users RENAME TO people',
    ];
    for (const sql of losing) expect([sql, (await last(sql)).keepsData]).toEqual([sql, false]);
  });
});

describe('analyzePostgresSql: locks', () => {
  it.each<[string, [string, string][]]>([
    ['CREATE INDEX ON app.users (email)', [['app.users', 'SHARE']]],
    ['CREATE INDEX CONCURRENTLY ON app.users (email)', [['app.users', 'SHARE UPDATE EXCLUSIVE']]],
    ['ALTER TABLE users ADD COLUMN nickname text', [['users', 'ACCESS EXCLUSIVE']]],
    ['ALTER TABLE users VALIDATE CONSTRAINT users_org_fk', [['users', 'SHARE UPDATE EXCLUSIVE']]],
    ['ALTER TABLE users ALTER COLUMN email SET STATISTICS 500', [['users', 'SHARE UPDATE EXCLUSIVE']]],
    ['ALTER TABLE users SET (fillfactor = 70, autovacuum_enabled = false)', [['users', 'SHARE UPDATE EXCLUSIVE']]],
    ['ALTER TABLE users SET (user_catalog_table = true)', [['users', 'ACCESS EXCLUSIVE']]],
    ['ALTER TABLE users VALIDATE CONSTRAINT c, ADD COLUMN x int', [['users', 'ACCESS EXCLUSIVE']]],
    ['ALTER TABLE users DISABLE TRIGGER ALL', [['users', 'SHARE ROW EXCLUSIVE']]],
    [
      'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES app.users (id) NOT VALID',
      [
        ['app.users', 'SHARE ROW EXCLUSIVE'],
        ['orders', 'SHARE ROW EXCLUSIVE'],
      ],
    ],
    [
      'ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES IN (2024)',
      [
        ['events', 'SHARE UPDATE EXCLUSIVE'],
        ['events_2024', 'ACCESS EXCLUSIVE'],
      ],
    ],
    [
      'DROP TABLE a, app.b',
      [
        ['a', 'ACCESS EXCLUSIVE'],
        ['app.b', 'ACCESS EXCLUSIVE'],
      ],
    ],
    ['TRUNCATE audit_log', [['audit_log', 'ACCESS EXCLUSIVE']]],
    ['DROP INDEX app.users_email', [['app.users_email', 'ACCESS EXCLUSIVE']]],
    ['DROP INDEX CONCURRENTLY users_email', [['users_email', 'SHARE UPDATE EXCLUSIVE']]],
    ['ALTER INDEX users_email RENAME TO users_email_idx', [['users_email', 'SHARE UPDATE EXCLUSIVE']]],
    ['ALTER TABLE users RENAME TO members', [['users', 'ACCESS EXCLUSIVE']]],
    ['ALTER TABLE users RENAME COLUMN email TO mail', [['users', 'ACCESS EXCLUSIVE']]],
    ['CLUSTER users USING users_pkey', [['users', 'ACCESS EXCLUSIVE']]],
    ['VACUUM FULL users', [['users', 'ACCESS EXCLUSIVE']]],
    ['VACUUM users', [['users', 'SHARE UPDATE EXCLUSIVE']]],
    ['REFRESH MATERIALIZED VIEW totals', [['totals', 'ACCESS EXCLUSIVE']]],
    ['REFRESH MATERIALIZED VIEW CONCURRENTLY totals', [['totals', 'EXCLUSIVE']]],
    [
      'INSERT INTO archive SELECT * FROM app.orders',
      [
        ['app.orders', 'ACCESS SHARE'],
        ['archive', 'ROW EXCLUSIVE'],
      ],
    ],
    [
      'WITH recent AS (SELECT * FROM orders) UPDATE users SET n = recent.n FROM recent WHERE users.id = recent.user_id',
      [
        ['orders', 'ACCESS SHARE'],
        ['users', 'ROW EXCLUSIVE'],
      ],
    ],
    [
      'DELETE FROM sessions USING users WHERE sessions.user_id = users.id',
      [
        ['sessions', 'ROW EXCLUSIVE'],
        ['users', 'ACCESS SHARE'],
      ],
    ],
    [
      'MERGE INTO stock s USING deliveries d ON s.id = d.id WHEN MATCHED THEN UPDATE SET n = s.n + d.n',
      [
        ['deliveries', 'ACCESS SHARE'],
        ['stock', 'ROW EXCLUSIVE'],
      ],
    ],
    ['SELECT count(*) FROM users', [['users', 'ACCESS SHARE']]],
    [
      'SELECT * FROM a JOIN b ON true FOR UPDATE OF a',
      [
        ['a', 'ROW SHARE'],
        ['b', 'ACCESS SHARE'],
      ],
    ],
    ['CREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch()', [['users', 'SHARE ROW EXCLUSIVE']]],
    ['CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES app.users (id))', [['app.users', 'SHARE ROW EXCLUSIVE']]],
    ['CREATE TABLE nodes (id int PRIMARY KEY, parent int REFERENCES nodes (id))', []],
    ['CREATE TABLE events_2025 PARTITION OF events FOR VALUES IN (2025)', [['events', 'ACCESS EXCLUSIVE']]],
    ['LOCK TABLE users IN SHARE MODE', [['users', 'SHARE']]],
    ['LOCK users', [['users', 'ACCESS EXCLUSIVE']]],
    ["COMMENT ON COLUMN app.users.email IS 'login'", [['app.users', 'SHARE UPDATE EXCLUSIVE']]],
    ['CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELECT count(*)::int FROM users $$', []],
    ['SELECT 1', []],
  ])('%s', async (sql, expected) => {
    expect(byTable((await one(sql)).locks)).toEqual(expected.map(([table, mode]) => ({ table, mode })));
  });
});

describe('analyzePostgresSql: risk facts', () => {
  it('COLUMN_TYPE_REWRITE for ALTER COLUMN ... TYPE, not for SET DEFAULT', async () => {
    const statement = await one('ALTER TABLE app.users ALTER COLUMN id TYPE bigint');
    expect(statement.facts).toContainEqual(expect.objectContaining({ code: 'COLUMN_TYPE_REWRITE', table: 'app.users' }));
    expect(codes(await one('ALTER TABLE app.users ALTER COLUMN id SET DEFAULT 0'))).not.toContain('COLUMN_TYPE_REWRITE');
  });

  it.each([
    'random()',
    'clock_timestamp()',
    'gen_random_uuid()',
    'uuid_generate_v4()',
    'public.uuid_generate_v4()',
    "nextval('users_seq'::regclass)",
    'timeofday()::timestamptz',
    '(random() * 100)::int + 1',
  ])('VOLATILE_DEFAULT_REWRITE for ADD COLUMN ... DEFAULT %s', async (expression) => {
    const statement = await one(`ALTER TABLE users ADD COLUMN v text DEFAULT ${expression}`);
    expect(statement.facts).toContainEqual(expect.objectContaining({ code: 'VOLATILE_DEFAULT_REWRITE', table: 'users' }));
  });

  it('VOLATILE_DEFAULT_REWRITE for a serial or identity column', async () => {
    expect(codes(await one('ALTER TABLE users ADD COLUMN n bigserial'))).toContain('VOLATILE_DEFAULT_REWRITE');
    expect(codes(await one('ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS IDENTITY'))).toContain('VOLATILE_DEFAULT_REWRITE');
  });

  it.each(['now()', 'CURRENT_TIMESTAMP', 'statement_timestamp()', "'pending'", '0', 'NULL'])(
    'no VOLATILE_DEFAULT_REWRITE for DEFAULT %s',
    async (expression) => {
      expect(codes(await one(`ALTER TABLE users ADD COLUMN v text DEFAULT ${expression}`))).not.toContain('VOLATILE_DEFAULT_REWRITE');
    },
  );

  it('SET_NOT_NULL_SCAN for SET NOT NULL, not for DROP NOT NULL', async () => {
    expect((await one('ALTER TABLE users ALTER COLUMN email SET NOT NULL')).facts).toContainEqual(
      expect.objectContaining({ code: 'SET_NOT_NULL_SCAN', table: 'users' }),
    );
    expect(codes(await one('ALTER TABLE users ALTER COLUMN email DROP NOT NULL'))).not.toContain('SET_NOT_NULL_SCAN');
  });

  it('INDEX_WITHOUT_CONCURRENTLY on an existing table, not with CONCURRENTLY nor on a table the script created', async () => {
    expect((await one('CREATE INDEX ON app.users (email)')).facts).toEqual([
      expect.objectContaining({ code: 'INDEX_WITHOUT_CONCURRENTLY', table: 'app.users' }),
    ]);
    expect((await one('CREATE INDEX CONCURRENTLY ON app.users (email)')).facts).toEqual([]);
    expect((await last('CREATE TABLE app.users (email text);\nCREATE INDEX ON app.users (email)')).facts).toEqual([]);
    expect((await last('CREATE TABLE users (email text);\nCREATE UNIQUE INDEX ON public.users (email)')).facts).toEqual([]);
    expect((await last('CREATE TABLE tmp AS SELECT 1 AS a;\nCREATE INDEX ON tmp (a)')).facts).toEqual([]);
    expect(codes(await last('CREATE TABLE IF NOT EXISTS users (email text);\nCREATE INDEX ON users (email)'))).toEqual(['INDEX_WITHOUT_CONCURRENTLY']);
  });

  it('FOREIGN_KEY_VALIDATES for a validated foreign key on an existing table', async () => {
    const added = await one('ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)');
    expect(added.facts).toEqual([expect.objectContaining({ code: 'FOREIGN_KEY_VALIDATES', table: 'orders' })]);
    expect(codes(await one('ALTER TABLE orders ADD COLUMN user_id int REFERENCES users (id)'))).toEqual(['FOREIGN_KEY_VALIDATES', 'ACCESS_EXCLUSIVE']);
  });

  it('no FOREIGN_KEY_VALIDATES with NOT VALID, nor on a table the script created', async () => {
    expect((await one('ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID')).facts).toEqual([]);
    const created = await last('CREATE TABLE orders (user_id int);\nALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)');
    expect(created.facts).toEqual([]);
    expect(created.locks).toContainEqual({ table: 'users', mode: 'SHARE ROW EXCLUSIVE' });
    expect((await one('CREATE TABLE orders (user_id int REFERENCES users (id))')).facts).toEqual([]);
  });

  it('CHECK_VALIDATES for ADD CONSTRAINT ... CHECK, not with NOT VALID', async () => {
    expect(codes(await one('ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0)'))).toEqual(['CHECK_VALIDATES', 'ACCESS_EXCLUSIVE']);
    expect(codes(await one('ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0) NOT VALID'))).toEqual(['ACCESS_EXCLUSIVE']);
  });

  it('ACCESS_EXCLUSIVE once per existing table, not for new tables nor weaker locks', async () => {
    const dropped = await one('DROP TABLE a, app.b');
    expect(dropped.facts.filter((f) => f.code === 'ACCESS_EXCLUSIVE').map((f) => f.table)).toEqual(['a', 'app.b']);
    expect(codes(await one('ALTER TABLE users ADD COLUMN a int, ADD COLUMN b int'))).toEqual(['ACCESS_EXCLUSIVE']);
    expect((await last('CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN n int;\nTRUNCATE t;\nALTER TABLE t RENAME TO u;\nDROP TABLE u')).facts).toEqual([]);
    expect((await one('VACUUM users')).facts).toEqual([]);
    expect((await one('UPDATE users SET n = 1')).facts).toEqual([]);
  });

  it('no rewrite or scan facts for a table the script created', async () => {
    const script =
      'CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid(), ALTER COLUMN id TYPE bigint, ALTER COLUMN id SET NOT NULL';
    expect((await last(script)).facts).toEqual([]);
  });

  it('ENUM_VALUE_UNUSABLE_IN_TRANSACTION for ALTER TYPE ... ADD VALUE, not RENAME VALUE', async () => {
    const statement = await one("ALTER TYPE app.mood ADD VALUE IF NOT EXISTS 'meh' AFTER 'ok'");
    expect(statement.facts).toEqual([{ code: 'ENUM_VALUE_UNUSABLE_IN_TRANSACTION', message: expect.stringContaining('app.mood') }]);
    expect(statement.nonTransactional).toBeUndefined();
    expect((await one("ALTER TYPE mood RENAME VALUE 'meh' TO 'fine'")).facts).toEqual([]);
  });

  it.each(['BEGIN', 'START TRANSACTION', 'COMMIT', 'ROLLBACK', 'SAVEPOINT s1', 'RELEASE SAVEPOINT s1', 'ROLLBACK TO SAVEPOINT s1', 'END'])(
    'TRANSACTION_CONTROL for %s',
    async (sql) => {
      const statement = await one(sql);
      expect(statement.kind).toBe('TransactionStmt');
      expect(codes(statement)).toEqual(['TRANSACTION_CONTROL']);
    },
  );

  it('reports the parse node type as kind', async () => {
    const kinds = (await analyzePostgresSql('CREATE INDEX ON t (a); ALTER TABLE t ADD c int; VACUUM t; SELECT 1')).map((s) => s.kind);
    expect(kinds).toEqual(['IndexStmt', 'AlterTableStmt', 'VacuumStmt', 'SelectStmt']);
  });
});

describe('analyzePostgresSql: errors', () => {
  it('throws MIGRATION_INVALID with the line and statement of a syntax error', async () => {
    const error = await syntaxError('SELECT 1;\n\nCREATE TABLE t (\n  id int,\n  name text,,\n);\nSELECT 2;');
    expect(error.code).toBe('MIGRATION_INVALID');
    expect(error.message).toMatch(/^SQL syntax error at line 5: syntax error at or near ","/);
    expect(error.context.statement).toBe('CREATE TABLE t (\n  id int,\n  name text,,\n)');
  });

  it('counts lines right after non-ASCII text (the cursor counts characters)', async () => {
    const error = await syntaxError("SELECT '😀 é ☕';\n-- ünïcödé 😀😀\nSELEC 2;\nSELECT 3");
    expect(error.message).toMatch(/^SQL syntax error at line 3: /);
    expect(error.context.statement).toBe('-- ünïcödé 😀😀\nSELEC 2');
  });

  it('reports an unterminated string at the line where it starts', async () => {
    const error = await syntaxError("SELECT 1;\nSELECT 'open;\nSELECT 2;");
    expect(error.code).toBe('MIGRATION_INVALID');
    expect(error.message).toMatch(/^SQL syntax error at line 2: unterminated quoted string/);
    expect(error.context.statement).toBe("SELECT 'open;\nSELECT 2;");
  });

  it('reports an error at the end of the input on the last line', async () => {
    const error = await syntaxError('SELECT 1;\nSELECT * FROM');
    expect(error.message).toMatch(/^SQL syntax error at line 2: syntax error at end of input/);
    expect(error.context.statement).toBe('SELECT * FROM');
  });

  it('throws CONFIG_INVALID when libpg-query cannot be loaded', async () => {
    vi.resetModules();
    vi.doMock('libpg-query', () => {
      throw new Error("Cannot find package 'libpg-query'");
    });
    try {
      const fresh = await import('../src/dialect/postgres/postgres-statements.js');
      await expect(fresh.splitPostgresSql('SELECT 1')).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: 'PostgreSQL migrations need the libpg-query package; install it next to @mfmig/core (npm install libpg-query)',
      });
    } finally {
      vi.doUnmock('libpg-query');
      vi.resetModules();
    }
  });
});
