import { describe, expect, it } from 'vitest';
import { splitSqlStatements } from '@mfmig/core';

describe('splitSqlStatements', () => {
  it('splits on semicolons outside strings, identifiers and comments', () => {
    expect(
      splitSqlStatements(`CREATE TABLE "a;b" (x TEXT DEFAULT ';'); -- a comment; still a comment
/* block; comment */ INSERT INTO [a;b] VALUES ('it''s; fine');
SELECT \`c;d\`;`),
    ).toEqual([
      `CREATE TABLE "a;b" (x TEXT DEFAULT ';');`,
      `-- a comment; still a comment\n/* block; comment */ INSERT INTO [a;b] VALUES ('it''s; fine');`,
      'SELECT `c;d`;',
    ]);
  });

  it('keeps trigger bodies whole, CASE ... END included', () => {
    const trigger = `CREATE TRIGGER t AFTER INSERT ON a BEGIN
  UPDATE a SET x = CASE WHEN new.x > 0 THEN 1 ELSE 0 END WHERE rowid = new.rowid;
  INSERT INTO log VALUES (new.x);
END;`;
    expect(splitSqlStatements(`${trigger}\nSELECT 1;`)).toEqual([trigger, 'SELECT 1;']);
  });

  it('drops empty statements and keeps a last statement without semicolon', () => {
    expect(splitSqlStatements(';; -- only comment\n;SELECT 1')).toEqual(['SELECT 1']);
  });
});
