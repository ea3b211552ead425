import { describe, expect, it } from 'vitest';
import { analyzePostgresSql } from '../src/dialect/postgres/postgres-statements.js';

/** The row work of each statement of a script, analysed in order. */
async function work(sql: string) {
  return (await analyzePostgresSql(sql)).map((s) => s.rowWork);
}

describe('analyzePostgresSql says what each statement does to stored rows', () => {
  it.each([
    ['ALTER TABLE big ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE text', [{ kind: 'rewrite', table: 'big' }]],
    ['ALTER TABLE big ADD COLUMN u uuid DEFAULT gen_random_uuid()', [{ kind: 'rewrite', table: 'big' }]],
    ['ALTER TABLE big SET TABLESPACE pg_default', [{ kind: 'rewrite', table: 'big' }]],
    ['VACUUM FULL big', [{ kind: 'rewrite', table: 'big' }]],
    ['CLUSTER big USING big_pkey', [{ kind: 'rewrite', table: 'big' }]],
    ['ALTER TABLE big ALTER COLUMN a SET NOT NULL', [{ kind: 'scan', table: 'big' }]],
    ['ALTER TABLE big ADD CONSTRAINT positive CHECK (a > 0)', [{ kind: 'scan', table: 'big' }]],
    ['ALTER TABLE big VALIDATE CONSTRAINT positive', [{ kind: 'scan', table: 'big' }]],
    ['ALTER TABLE big ADD PRIMARY KEY (a)', [{ kind: 'index', table: 'big' }]],
    ['CREATE INDEX CONCURRENTLY big_b ON app.big (b)', [{ kind: 'index', table: 'app.big', concurrent: true }]],
    ['INSERT INTO copy SELECT b.a FROM big b JOIN small s ON s.a = b.a', [{ kind: 'insert', table: 'copy', from: ['big', 'small'] }]],
    ['WITH w AS (SELECT a FROM big) INSERT INTO copy SELECT a FROM w', [{ kind: 'insert', table: 'copy', from: ['big'] }]],
    ["INSERT INTO copy VALUES (1, 'x')", [{ kind: 'insert', table: 'copy', from: [] }]],
    ['CREATE TABLE copy AS SELECT * FROM big', [{ kind: 'insert', table: 'copy', from: ['big'] }]],
    ['UPDATE big SET a = a + 1', [{ kind: 'update', table: 'big' }]],
    ['DELETE FROM big WHERE a < 0', [{ kind: 'delete', table: 'big' }]],
  ])('%s', async (sql, expected) => {
    expect(await work(sql)).toEqual([expected]);
  });

  it('finds none in statements that change the catalog only', async () => {
    const catalogOnly = [
      'CREATE TABLE t (a integer)',
      'ALTER TABLE big ADD COLUMN c integer DEFAULT 0',
      'ALTER TABLE big ADD CONSTRAINT positive CHECK (a > 0) NOT VALID',
      'ALTER TABLE big ADD CONSTRAINT big_key UNIQUE USING INDEX big_a',
      'CREATE TABLE copy AS SELECT * FROM big WITH NO DATA',
      'DROP TABLE big',
    ];
    expect(await work(catalogOnly.join(';\n'))).toEqual(catalogOnly.map(() => []));
  });

  it('finds no rewrite of a table the script created (it is empty), but the index built on it', async () => {
    expect(await work('CREATE TABLE t (a integer);\nALTER TABLE t ALTER COLUMN a TYPE bigint;\nCREATE INDEX t_a ON t (a)')).toEqual([
      [],
      [],
      [{ kind: 'index', table: 't' }],
    ]);
  });
});
