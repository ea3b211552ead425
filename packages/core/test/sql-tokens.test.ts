import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSqlKeyword, quoteIdentifier, splitSqlStatements, statementTarget, tokenName, tokenizeSql } from '@mfmig/core';

const kinds = (sql: string) => tokenizeSql(sql).map((t) => [t.kind, t.value]);
const texts = (sql: string) => tokenizeSql(sql).map((t) => t.text);

/** White space and comments only, by SQLite's rules, written independently of the tokenizer. */
const GAP = /^(?:[ \t\n\f\r]|--[^\n]*(?:\n|$)|\/\*[\s\S]*?(?:\*\/|$))*$/;

/** Pieces of SQL that put quoting, comments and parameters next to each other in every order. */
const sqlish = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc
    .array(
      fc.constantFrom(
        'SELECT',
        ' ',
        '\n',
        '\t',
        '\v',
        '(',
        ')',
        ';',
        ',',
        '.',
        "'",
        "''",
        '"',
        '""',
        '`',
        '[',
        ']',
        'x',
        "x'",
        '0x',
        '1',
        '.5',
        'e',
        '-',
        '--',
        '/*',
        '*/',
        '*',
        '/',
        '?',
        '?7',
        ':a',
        '@b',
        '$c',
        '#d',
        ':',
        '$',
        '||',
        '<>',
        '->>',
        '!',
        '=',
        'é',
        '\uFEFF',
        '\u00A0',
        '\0',
        'ATTACH',
      ),
      { maxLength: 30 },
    )
    .map((parts) => parts.join('')),
);

describe('tokenizeSql', () => {
  it('tells words, quoted names, strings, numbers, blobs, parameters and operators apart', () => {
    expect(kinds(`SELECT "a""b", \`c\`\`d\`, [e""f], 'it''s', 12, x'0A', ?, ?3, :n, @batchStart, $v, #w FROM t`)).toEqual([
      ['word', 'SELECT'],
      ['identifier', 'a"b'],
      ['punct', ','],
      ['identifier', 'c`d'],
      ['punct', ','],
      ['identifier', 'e""f'],
      ['punct', ','],
      ['string', "it's"],
      ['punct', ','],
      ['number', '12'],
      ['punct', ','],
      ['blob', "x'0A'"],
      ['punct', ','],
      ['parameter', ''],
      ['punct', ','],
      ['parameter', '3'],
      ['punct', ','],
      ['parameter', 'n'],
      ['punct', ','],
      ['parameter', 'batchStart'],
      ['punct', ','],
      ['parameter', 'v'],
      ['punct', ','],
      ['parameter', 'w'],
      ['word', 'FROM'],
      ['word', 'T'],
    ]);
  });

  it('keeps the offsets and spelling of every token', () => {
    const sql = 'update  "Order Items" -- why\nSET n=1';
    const tokens = tokenizeSql(sql);
    expect(tokens.map((t) => [t.start, t.end])).toEqual([
      [0, 6],
      [8, 21],
      [29, 32],
      [33, 34],
      [34, 35],
      [35, 36],
    ]);
    for (const t of tokens) expect(sql.slice(t.start, t.end)).toBe(t.text);
    expect(tokenName(tokens[0]!)).toBe('update');
    expect(tokenName(tokens[1]!)).toBe('Order Items');
    expect(isSqlKeyword(tokens[0], 'DELETE', 'UPDATE')).toBe(true);
    expect(isSqlKeyword(tokenizeSql('"update"')[0], 'UPDATE')).toBe(false);
  });

  it('counts parentheses, with ( and ) outside their own pair', () => {
    expect(tokenizeSql('SELECT f((a), b) FROM t )').map((t) => `${t.text}${t.depth}`)).toEqual([
      'SELECT0',
      'f0',
      '(0',
      '(1',
      'a2',
      ')1',
      ',1',
      'b1',
      ')0',
      'FROM0',
      't0',
      ')0',
    ]);
    expect(tokenizeSql('SELECT \'(\' , "(" , [(]').every((t) => t.depth === 0)).toBe(true);
  });

  it('reads numbers as SQLite does', () => {
    expect(texts('1_000 0x1F 1.5e-3 .5 1. 1e 1abc 2.x 0x')).toEqual(['1_000', '0x1F', '1.5e-3', '.5', '1.', '1e', '1abc', '2.x', '0x']);
    expect(kinds('1.2.3')).toEqual([
      ['number', '1.2'],
      ['number', '.3'],
    ]);
  });

  it('reads multi-character operators as one token', () => {
    expect(texts('a||b<=c->>d->e!=f==g<>h<<i>>j>=k!l|m')).toEqual([
      'a',
      '||',
      'b',
      '<=',
      'c',
      '->>',
      'd',
      '->',
      'e',
      '!=',
      'f',
      '==',
      'g',
      '<>',
      'h',
      '<<',
      'i',
      '>>',
      'j',
      '>=',
      'k',
      '!',
      'l',
      '|',
      'm',
    ]);
  });

  it('ends a blob at its first quote, a [name] at its first ], and lets a lone sigil be a character', () => {
    expect(texts("x'ab''cd' xa'b' [a]]")).toEqual(["x'ab'", "'cd'", 'xa', "'b'", '[a]', ']']);
    expect(kinds(': @ $ # ?')).toEqual([
      ['punct', ':'],
      ['punct', '@'],
      ['punct', '$'],
      ['punct', '#'],
      ['parameter', ''],
    ]);
  });

  it('runs an unclosed quote or comment to the end', () => {
    expect(kinds("SELECT 'abc")).toEqual([
      ['word', 'SELECT'],
      ['string', 'abc'],
    ]);
    expect(kinds('SELECT "ab""')).toEqual([
      ['word', 'SELECT'],
      ['identifier', 'ab"'],
    ]);
    expect(kinds('SELECT [ab')).toEqual([
      ['word', 'SELECT'],
      ['identifier', 'ab'],
    ]);
    expect(kinds("SELECT x'ab")).toEqual([
      ['word', 'SELECT'],
      ['blob', "x'ab"],
    ]);
    expect(kinds('SELECT /* a */ 1 /* b')).toEqual([
      ['word', 'SELECT'],
      ['number', '1'],
    ]);
    expect(kinds('SELECT 1 -- b')).toEqual([
      ['word', 'SELECT'],
      ['number', '1'],
    ]);
    expect(kinds('/*/ SELECT 1')).toEqual([]);
  });

  it('does not let a quote inside another kind of quote hide what follows', () => {
    const words = (sql: string) =>
      tokenizeSql(sql)
        .filter((t) => t.kind === 'word')
        .map((t) => t.value);
    expect(words(`CREATE TABLE "q'1"(a); ATTACH DATABASE 'x.db' AS x;`)).toEqual(['CREATE', 'TABLE', 'A', 'ATTACH', 'DATABASE', 'AS', 'X']);
    expect(words('CREATE TABLE [b--](a); VACUUM;')).toEqual(['CREATE', 'TABLE', 'A', 'VACUUM']);
    expect(words("CREATE TABLE `c'`(a); DETACH x;")).toEqual(['CREATE', 'TABLE', 'A', 'DETACH', 'X']);
  });

  it('never throws, and its tokens with the skipped gaps give back the text', () => {
    fc.assert(
      fc.property(sqlish, (sql) => {
        const tokens = tokenizeSql(sql);
        let rebuilt = '';
        let last = 0;
        for (const t of tokens) {
          expect(t.start).toBeGreaterThanOrEqual(last);
          expect(t.end).toBeGreaterThan(t.start);
          expect(t.text).toBe(sql.slice(t.start, t.end));
          expect(sql.slice(last, t.start)).toMatch(GAP);
          expect(t.depth).toBeGreaterThanOrEqual(0);
          rebuilt += sql.slice(last, t.start) + t.text;
          last = t.end;
        }
        expect(sql.slice(last)).toMatch(GAP);
        expect(rebuilt + sql.slice(last)).toBe(sql);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('the tokens and SQLite itself', () => {
  it('agree on every table SQLite creates, however quotes and comments are mixed around it', () => {
    // valid statements whose names, strings and comments are made of quote and comment characters
    const tricky = fc.string({ unit: fc.constantFrom("'", '"', '`', '[', ']', '-', '/', '*', ';', '\n', 'x', ' ', '$', '('), maxLength: 8 });
    const statement = fc.oneof(
      tricky.map((name) => `CREATE TABLE ${quoteIdentifier(`t${name}`)}(a);`),
      tricky.filter((name) => !name.includes(']')).map((name) => `CREATE TABLE [u${name}](a);`),
      tricky.map((name) => `CREATE TABLE \`v${name.replaceAll('`', '``')}\`(a);`),
      tricky.map((text) => `SELECT '${text.replaceAll("'", "''")}', x'0a', :a, @b, $c, #d, ?1;`),
      tricky.filter((text) => !text.includes('\n')).map((text) => `SELECT 1; --${text}\n`),
      tricky.filter((text) => !text.includes('*/')).map((text) => `/*${text}*/`),
      fc.nat(9).map((k) => `CREATE TABLE h${k}(x);`),
      // and the odd piece that breaks the statement it lands in
      fc.constantFrom("'", '"', '[', '/*', '--', '$a('),
    );
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 8 }), (parts) => {
        const sql = parts.join(' ');
        const db = new Database(':memory:');
        try {
          db.exec(sql);
        } catch {
          // SQLite stops at the first statement it cannot read; the ones before it ran
        }
        const created = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[];
        db.close();
        const seen = splitSqlStatements(sql)
          .map(statementTarget)
          .filter((t) => t.verb === 'CREATE TABLE')
          .map((t) => t.table);
        for (const name of created) expect(seen).toContain(name);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('statementTarget', () => {
  it('finds the table of DELETE FROM any quoted name, after any comment', () => {
    const quotings = [
      (name: string) => quoteIdentifier(name),
      (name: string) => `\`${name.replaceAll('`', '``')}\``,
      (name: string) => `'${name.replaceAll("'", "''")}'`,
    ];
    // SQLite reads a statement up to a NUL character, so no name holds one
    const names = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((name) => !name.includes('\0'));
    fc.assert(
      fc.property(names, fc.nat(quotings.length - 1), fc.constantFrom('', '-- x\n', '/* ; */ '), (name, q, lead) => {
        const sql = `${lead}DELETE FROM main.${quotings[q]!(name)} WHERE x = ';'`;
        expect(statementTarget(sql)).toEqual({ verb: 'DELETE', table: name });
        expect(splitSqlStatements(`${sql};SELECT 1;`)).toEqual([`${sql};`.trim(), 'SELECT 1;']);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        names.filter((name) => !name.includes(']')),
        (name) => {
          expect(statementTarget(`DELETE FROM [${name}]`)).toEqual({ verb: 'DELETE', table: name });
        },
      ),
    );
  });

  it('reads a pragma written with == or a quoted name', () => {
    expect(statementTarget('PRAGMA foreign_keys == OFF')).toEqual({ verb: 'PRAGMA', pragma: { name: 'foreign_keys', value: 'off' } });
    expect(statementTarget("PRAGMA main.'Foreign_Keys' = 'no'")).toEqual({ verb: 'PRAGMA', pragma: { name: 'foreign_keys', value: 'no' } });
  });
});
