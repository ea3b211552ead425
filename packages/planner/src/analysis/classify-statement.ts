import type { OperationKind } from '../plan/plan-types.js';
import { type SqlToken, isSqlKeyword, tokenizeSql } from '@mfmig/core';
import { keywordOf, nameAt, nameOf } from './sql-words.js';

/** What one SQL statement does, as far as the planner needs to know. */
export interface StatementInfo {
  kind: OperationKind;
  table?: string;
  source?: string;
  statement: string;
  flags: {
    /** DROP/RENAME target, ADD COLUMN name, RENAME COLUMN new name. */
    to?: string;
    column?: string;
    notNull?: boolean;
    hasDefault?: boolean;
    hasWhere?: boolean;
    unique?: boolean;
    /** INSERT ... VALUES: number of row tuples. */
    tuples?: number;
    /** ADD COLUMN with a CHECK or REFERENCES: SQLite verifies every existing row. */
    checksRows?: boolean;
    /** A rename-first table rebuild: the name the old table was renamed to before it was dropped. */
    renamedTo?: string;
    /** REPLACE, INSERT OR REPLACE, UPDATE OR REPLACE: conflicting rows are deleted first. */
    replace?: boolean;
  };
}

function afterIfExists(words: SqlToken[], i: number): number {
  if (isSqlKeyword(words[i], 'IF') && isSqlKeyword(words[i + 1], 'NOT')) return i + 3;
  if (isSqlKeyword(words[i], 'IF')) return i + 2;
  return i;
}

/** Index of the first `keyword` at parenthesis depth 0 from `from`, or -1. */
function topLevel(words: SqlToken[], from: number, ...keywords: string[]): number {
  let depth = 0;
  for (let i = from; i < words.length; i++) {
    const w = words[i]!;
    if (w.kind === 'punct' && w.value === '(') depth++;
    else if (w.kind === 'punct' && w.value === ')') depth--;
    else if (depth === 0 && isSqlKeyword(w, ...keywords)) return i;
  }
  return -1;
}

function fromTable(words: SqlToken[], from: number): string | undefined {
  const at = topLevel(words, from, 'FROM');
  if (at === -1 || (words[at + 1]?.kind === 'punct' && words[at + 1]?.value === '(')) return undefined;
  return nameAt(words, at + 1).name;
}

/**
 * Tells what a statement does: which kind of operation, on which table, reading which table.
 *
 * @example
 * classifyStatement('INSERT INTO incidents (title) SELECT title FROM kb_entries');
 * // { kind: 'insert-select', table: 'incidents', source: 'kb_entries', ... }
 */
export function classifyStatement(statement: string): StatementInfo {
  let words = tokenizeSql(statement);
  if (isSqlKeyword(words[0], 'WITH')) {
    const at = topLevel(words, 1, 'INSERT', 'REPLACE', 'UPDATE', 'DELETE', 'SELECT');
    if (at > 0) words = words.slice(at);
  }
  const info = (kind: OperationKind, extra: Partial<StatementInfo> = {}): StatementInfo => ({ kind, statement, flags: {}, ...extra });
  const first = keywordOf(words[0]);
  if (first === 'CREATE') {
    let i = 1;
    if (isSqlKeyword(words[i], 'TEMP', 'TEMPORARY')) i++;
    const unique = isSqlKeyword(words[i], 'UNIQUE');
    if (unique) i++;
    if (isSqlKeyword(words[i], 'VIRTUAL')) i++;
    const what = keywordOf(words[i]);
    const { name, next } = nameAt(words, afterIfExists(words, i + 1));
    if (what === 'TABLE') return info('create-table', { table: name, source: isSqlKeyword(words[next], 'AS') ? fromTable(words, next) : undefined });
    if (what === 'INDEX')
      return info('create-index', { table: isSqlKeyword(words[next], 'ON') ? nameAt(words, next + 1).name : undefined, flags: { to: name, unique } });
    if (what === 'VIEW') return info('create-view', { table: name });
    if (what === 'TRIGGER') {
      const on = topLevel(words, next, 'ON');
      return info('create-trigger', { table: on > 0 ? nameAt(words, on + 1).name : undefined, flags: { to: name } });
    }
  }
  if (first === 'DROP') {
    const what = keywordOf(words[1]);
    const { name } = nameAt(words, afterIfExists(words, 2));
    const kinds: Record<string, OperationKind> = { TABLE: 'drop-table', INDEX: 'drop-index', VIEW: 'drop-view', TRIGGER: 'drop-trigger' };
    if (what && kinds[what]) return what === 'TABLE' || what === 'VIEW' ? info(kinds[what]!, { table: name }) : info(kinds[what]!, { flags: { to: name } });
  }
  if (first === 'ALTER' && isSqlKeyword(words[1], 'TABLE')) return alterTable(words, statement);
  if (first === 'INSERT' || first === 'REPLACE') {
    const into = words.findIndex((w) => isSqlKeyword(w, 'INTO'));
    const { name, next } = nameAt(words, into + 1);
    const replace = first === 'REPLACE' || (isSqlKeyword(words[1], 'OR') && isSqlKeyword(words[2], 'REPLACE'));
    const values = topLevel(words, next, 'VALUES');
    if (values !== -1 && topLevel(words, next, 'SELECT') === -1) {
      let tuples = 0;
      let depth = 0;
      for (const w of words.slice(values + 1)) {
        if (w.kind !== 'punct') continue;
        if (w.value === '(' && depth++ === 0) tuples++;
        if (w.value === ')') depth--;
      }
      return info('insert-values', { table: name, flags: { tuples, ...(replace ? { replace } : {}) } });
    }
    return info('insert-select', { table: name, source: fromTable(words, next), flags: replace ? { replace } : {} });
  }
  if (first === 'UPDATE') {
    let i = 1;
    const replace = isSqlKeyword(words[i], 'OR') && isSqlKeyword(words[i + 1], 'REPLACE');
    if (isSqlKeyword(words[i], 'OR')) i += 2;
    return info('update', { table: nameAt(words, i).name, flags: { hasWhere: topLevel(words, i, 'WHERE') !== -1, ...(replace ? { replace } : {}) } });
  }
  if (first === 'DELETE') {
    return info('delete', { table: nameAt(words, 2).name, flags: { hasWhere: topLevel(words, 2, 'WHERE') !== -1 } });
  }
  return info('other');
}

function alterTable(words: SqlToken[], statement: string): StatementInfo {
  const { name: table, next } = nameAt(words, 2);
  const verb = keywordOf(words[next]);
  if (verb === 'RENAME') {
    if (isSqlKeyword(words[next + 1], 'TO')) return { kind: 'rename-table', table, statement, flags: { to: nameOf(words[next + 2]) } };
    const at = isSqlKeyword(words[next + 1], 'COLUMN') ? next + 2 : next + 1;
    return { kind: 'rename-column', table, statement, flags: { column: nameOf(words[at]), to: nameOf(words[at + 2]) } };
  }
  if (verb === 'ADD') {
    const at = isSqlKeyword(words[next + 1], 'COLUMN') ? next + 2 : next + 1;
    const rest = words.slice(at + 1);
    const notNull = rest.some((w, i) => isSqlKeyword(w, 'NOT') && isSqlKeyword(rest[i + 1], 'NULL'));
    const hasDefault = rest.some((w) => isSqlKeyword(w, 'DEFAULT'));
    const checksRows = rest.some((w) => isSqlKeyword(w, 'CHECK', 'REFERENCES')) || notNull;
    return { kind: 'add-column', table, statement, flags: { column: nameOf(words[at]), notNull, hasDefault, checksRows } };
  }
  if (verb === 'DROP') {
    const at = isSqlKeyword(words[next + 1], 'COLUMN') ? next + 2 : next + 1;
    return { kind: 'drop-column', table, statement, flags: { column: nameOf(words[at]) } };
  }
  return { kind: 'other', table, statement, flags: {} };
}
