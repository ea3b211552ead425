import type { ColumnAffinity, ColumnSnapshot, ForeignKeyAction, ForeignKeySnapshot, TableSnapshot } from '../snapshot/schema-snapshot.js';
import { canonicalTokens, splitTopLevel, unwrapParentheses } from './canonical-sql.js';
import { type SqlToken, isKeyword, tokenizeSql } from './sql-tokenizer.js';
import { TokenCursor } from './token-cursor.js';

const COLUMN_CONSTRAINT_START = ['CONSTRAINT', 'PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK', 'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS'];
const TABLE_CONSTRAINT_START = ['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN'];

/**
 * The storage class SQLite gives a declared type (the rules of sqlite.org/datatype3.html §3.1).
 *
 * @example
 * columnAffinity('VARCHAR(255)'); // 'TEXT'
 */
export function columnAffinity(type: string): ColumnAffinity {
  const t = type.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t === '' || t.includes('BLOB')) return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

/**
 * Parses a `CREATE TABLE` / `CREATE VIRTUAL TABLE` statement (as stored in `sqlite_schema`)
 * into a normalised {@link TableSnapshot}. Declared names keep their case; references and
 * expressions are canonical.
 *
 * @example
 * parseCreateTable('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)').columns[1]?.notNull; // true
 */
export function parseCreateTable(sql: string): TableSnapshot {
  const c = new TokenCursor(tokenizeSql(sql));
  if (!c.accept('CREATE')) throw new SyntaxError('CREATE expected');
  if (!c.accept('TEMP')) c.accept('TEMPORARY');
  const virtual = c.accept('VIRTUAL');
  if (!c.accept('TABLE')) throw new SyntaxError('TABLE expected');
  c.accept('IF', 'NOT', 'EXISTS');
  const table: TableSnapshot = {
    type: 'table',
    name: c.name(),
    virtual,
    module: null,
    withoutRowid: false,
    strict: false,
    columns: [],
    primaryKey: [],
    uniqueConstraints: [],
    checks: [],
    foreignKeys: [],
    sql,
  };
  if (virtual) {
    if (!c.accept('USING')) throw new SyntaxError('USING expected');
    const module = c.next()?.value.toLowerCase() ?? '';
    table.module = c.atPunct('(') ? `${module}(${canonicalTokens(c.parenthesized())})` : module;
    return table;
  }
  const items = splitTopLevel(c.parenthesized());
  for (const option of splitTopLevel(c.rest())) {
    const words = option.map((t) => t.value.toUpperCase()).join(' ');
    if (words === 'WITHOUT ROWID') table.withoutRowid = true;
    if (words === 'STRICT') table.strict = true;
  }
  const pk: string[] = [];
  for (const item of items) {
    if (isKeyword(item[0], ...TABLE_CONSTRAINT_START)) {
      tableConstraint(new TokenCursor(item), table, pk);
    } else {
      table.columns.push(columnDefinition(new TokenCursor(item), table, pk));
    }
  }
  table.primaryKey = pk;
  for (const column of table.columns) {
    const position = pk.findIndex((name) => name === column.name.toLowerCase());
    column.primaryKey = position + 1;
    if (table.withoutRowid && position >= 0) column.notNull = true;
  }
  return table;
}

function columnDefinition(c: TokenCursor, table: TableSnapshot, pk: string[]): ColumnSnapshot {
  const name = c.name();
  const typeTokens: SqlToken[] = [];
  while (!c.done && !c.at(...COLUMN_CONSTRAINT_START)) {
    if (c.atPunct('('))
      typeTokens.push({
        kind: 'punct',
        text: '(',
        value: `(${c
          .parenthesized()
          .map((t) => t.value)
          .join('')})`,
      });
    else typeTokens.push(c.next()!);
  }
  const type = typeTokens
    .map((t) => (t.value.startsWith('(') ? t.value : ` ${t.value}`))
    .join('')
    .trim()
    .toUpperCase();
  const column: ColumnSnapshot = {
    name,
    type,
    affinity: columnAffinity(type),
    notNull: false,
    defaultValue: null,
    primaryKey: 0,
    autoincrement: false,
    collation: null,
    generated: null,
  };
  while (!c.done) {
    if (c.accept('CONSTRAINT')) c.name();
    else if (c.accept('PRIMARY', 'KEY')) {
      if (!c.accept('ASC')) c.accept('DESC');
      conflictClause(c);
      pk.push(name.toLowerCase());
      if (c.accept('AUTOINCREMENT')) column.autoincrement = true;
    } else if (c.accept('NOT', 'NULL')) {
      column.notNull = true;
      conflictClause(c);
    } else if (c.accept('NULL')) conflictClause(c);
    else if (c.accept('UNIQUE')) {
      conflictClause(c);
      table.uniqueConstraints.push([name.toLowerCase()]);
    } else if (c.accept('CHECK')) table.checks.push(canonicalTokens(c.parenthesized()));
    else if (c.accept('DEFAULT')) column.defaultValue = defaultValue(c);
    else if (c.accept('COLLATE')) column.collation = c.name().toLowerCase();
    else if (c.at('REFERENCES')) table.foreignKeys.push(foreignKeyClause(c, [name.toLowerCase()]));
    else if (c.at('GENERATED', 'AS')) {
      c.accept('GENERATED', 'ALWAYS');
      c.accept('AS');
      const expression = canonicalTokens(unwrapParentheses(c.parenthesized()));
      const stored = c.accept('STORED');
      c.accept('VIRTUAL');
      column.generated = { expression, stored };
    } else throw new SyntaxError(`unexpected ${c.peek()?.text ?? 'end'} in column ${name}`);
  }
  return column;
}

function tableConstraint(c: TokenCursor, table: TableSnapshot, pk: string[]): void {
  if (c.accept('CONSTRAINT')) c.name();
  if (c.accept('PRIMARY', 'KEY')) {
    pk.push(...indexedColumnNames(c.parenthesized()));
    conflictClause(c);
  } else if (c.accept('UNIQUE')) {
    table.uniqueConstraints.push(indexedColumnNames(c.parenthesized()));
    conflictClause(c);
  } else if (c.accept('CHECK')) {
    table.checks.push(canonicalTokens(c.parenthesized()));
  } else if (c.accept('FOREIGN', 'KEY')) {
    const columns = indexedColumnNames(c.parenthesized());
    table.foreignKeys.push(foreignKeyClause(c, columns));
  } else {
    throw new SyntaxError(`unexpected ${c.peek()?.text ?? 'end'} in table constraint`);
  }
}

function indexedColumnNames(tokens: SqlToken[]): string[] {
  return splitTopLevel(tokens).map((part) =>
    part.length === 1 || isKeyword(part[1], 'COLLATE', 'ASC', 'DESC') ? part[0]!.value.toLowerCase() : canonicalTokens(part),
  );
}

function conflictClause(c: TokenCursor): void {
  if (c.accept('ON', 'CONFLICT')) c.next();
}

function defaultValue(c: TokenCursor): string {
  if (c.atPunct('(')) return canonicalTokens(unwrapParentheses(c.parenthesized()));
  const first = c.next()!;
  if ((first.value === '-' || first.value === '+') && !c.done) return canonicalTokens([first, c.next()!]);
  return canonicalTokens([first]);
}

function foreignKeyClause(c: TokenCursor, columns: string[]): ForeignKeySnapshot {
  c.accept('REFERENCES');
  const fk: ForeignKeySnapshot = {
    columns,
    referencedTable: c.name().toLowerCase(),
    referencedColumns: c.atPunct('(') ? indexedColumnNames(c.parenthesized()) : [],
    onDelete: 'NO ACTION',
    onUpdate: 'NO ACTION',
    deferred: false,
  };
  for (;;) {
    if (c.accept('ON', 'DELETE')) fk.onDelete = action(c);
    else if (c.accept('ON', 'UPDATE')) fk.onUpdate = action(c);
    else if (c.accept('MATCH')) c.next();
    else if (c.accept('NOT', 'DEFERRABLE')) {
      if (c.accept('INITIALLY')) c.next();
    } else if (c.accept('DEFERRABLE')) {
      if (c.accept('INITIALLY', 'DEFERRED')) fk.deferred = true;
      else c.accept('INITIALLY', 'IMMEDIATE');
    } else return fk;
  }
}

function action(c: TokenCursor): ForeignKeyAction {
  if (c.accept('SET', 'NULL')) return 'SET NULL';
  if (c.accept('SET', 'DEFAULT')) return 'SET DEFAULT';
  if (c.accept('CASCADE')) return 'CASCADE';
  if (c.accept('RESTRICT')) return 'RESTRICT';
  if (c.accept('NO', 'ACTION')) return 'NO ACTION';
  throw new SyntaxError(`unknown foreign key action ${c.peek()?.text ?? 'end'}`);
}
