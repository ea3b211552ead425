import type { IndexColumnSnapshot, IndexSnapshot, TriggerSnapshot, ViewSnapshot } from '../snapshot/schema-snapshot.js';
import { canonicalTokens, splitTopLevel } from './canonical-sql.js';
import { isKeyword, tokenizeSql } from './sql-tokenizer.js';
import { TokenCursor } from './token-cursor.js';

function header(c: TokenCursor, kind: string): string {
  if (!c.accept('CREATE')) throw new SyntaxError('CREATE expected');
  if (!c.accept('TEMP')) c.accept('TEMPORARY');
  c.accept('UNIQUE');
  if (!c.accept(kind)) throw new SyntaxError(`${kind} expected`);
  c.accept('IF', 'NOT', 'EXISTS');
  return c.name();
}

/**
 * Parses `CREATE [UNIQUE] INDEX ... ON t (...) [WHERE ...]`.
 *
 * @example
 * parseCreateIndex('CREATE INDEX i ON t (lower(name)) WHERE archived = 0').where; // 'archived = 0'
 */
export function parseCreateIndex(sql: string): IndexSnapshot {
  const tokens = tokenizeSql(sql);
  const unique = isKeyword(tokens[1], 'UNIQUE');
  const c = new TokenCursor(tokens);
  const name = header(c, 'INDEX');
  if (!c.accept('ON')) throw new SyntaxError('ON expected');
  const table = c.name().toLowerCase();
  const columns: IndexColumnSnapshot[] = splitTopLevel(c.parenthesized()).map((part) => {
    let end = part.length;
    let descending = false;
    let collation: string | null = null;
    if (isKeyword(part[end - 1], 'ASC', 'DESC')) {
      descending = isKeyword(part[end - 1], 'DESC');
      end--;
    }
    if (end >= 2 && isKeyword(part[end - 2], 'COLLATE')) {
      collation = part[end - 1]!.value.toLowerCase();
      end -= 2;
    }
    const body = part.slice(0, end);
    const isExpression = !(body.length === 1 && (body[0]!.kind === 'word' || body[0]!.kind === 'identifier'));
    return { expression: isExpression ? canonicalTokens(body) : body[0]!.value.toLowerCase(), isExpression, descending, collation };
  });
  const where = c.accept('WHERE') ? canonicalTokens(c.rest()) : null;
  return { type: 'index', name, table, unique, columns, where, sql };
}

/**
 * Parses `CREATE VIEW v [(cols)] AS SELECT ...`.
 *
 * @example
 * parseCreateView('CREATE VIEW v AS SELECT  1').definition; // 'select 1'
 */
export function parseCreateView(sql: string): ViewSnapshot {
  const c = new TokenCursor(tokenizeSql(sql));
  const name = header(c, 'VIEW');
  const columns = c.atPunct('(') ? splitTopLevel(c.parenthesized()).map((p) => p[0]!.value) : [];
  if (!c.accept('AS')) throw new SyntaxError('AS expected');
  return { type: 'view', name, columns, definition: canonicalTokens(c.rest()), sql };
}

/**
 * Parses `CREATE TRIGGER name [BEFORE|AFTER|INSTEAD OF] event ON table ...`.
 *
 * @example
 * parseCreateTrigger('CREATE TRIGGER tr AFTER DELETE ON t BEGIN SELECT 1; END').event; // 'DELETE'
 */
export function parseCreateTrigger(sql: string): TriggerSnapshot {
  const c = new TokenCursor(tokenizeSql(sql));
  const name = header(c, 'TRIGGER');
  const start = c.index;
  let timing: TriggerSnapshot['timing'] = 'BEFORE';
  if (c.accept('AFTER')) timing = 'AFTER';
  else if (c.accept('INSTEAD', 'OF')) timing = 'INSTEAD OF';
  else c.accept('BEFORE');
  const eventWord = c.next()?.value.toUpperCase();
  if (eventWord !== 'INSERT' && eventWord !== 'UPDATE' && eventWord !== 'DELETE') throw new SyntaxError('trigger event expected');
  while (!c.done && !c.at('ON')) c.next();
  c.accept('ON');
  const table = c.name().toLowerCase();
  const definition = canonicalTokens(c.tokens.slice(start));
  return {
    type: 'trigger',
    name,
    table,
    timing,
    event: eventWord,
    definition: timing === 'BEFORE' && !/^before /.test(definition) ? `before ${definition}` : definition,
    sql,
  };
}
