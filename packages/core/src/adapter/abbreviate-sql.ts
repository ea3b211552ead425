import { stripSqlComments } from './sql-splitter.js';

/**
 * A statement shortened to one line for messages and plans: comments removed (a comment marker
 * inside a string literal stays), every run of whitespace one space, cut at `max` characters
 * with an ellipsis. A statement that is nothing but comments keeps them, rather than vanish.
 *
 * @example
 * abbreviateSql("-- Drop the original table\nDROP TABLE bookmark;"); // 'DROP TABLE bookmark;'
 * abbreviateSql("SELECT '-- kept' FROM t -- note"); // "SELECT '-- kept' FROM t"
 */
export function abbreviateSql(statement: string, max = 120): string {
  const code = oneLine(stripSqlComments(statement));
  const text = code === '' ? oneLine(statement) : code;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
