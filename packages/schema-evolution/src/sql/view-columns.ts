import { splitTopLevel } from './canonical-sql.js';
import { type SqlToken, isKeyword, tokenizeSql } from './sql-tokenizer.js';

/**
 * The output column names of a view's SELECT (declared names first, else the aliases or
 * column names of the first select list), lower-cased; null when they cannot be known
 * (a `*` in the list).
 *
 * @example
 * viewColumns('SELECT e.id, e.title AS name, count(*) n FROM e'); // ['id', 'name', 'n']
 */
export function viewColumns(select: string, declared: string[] = []): string[] | null {
  if (declared.length > 0) return declared.map((c) => c.toLowerCase());
  const tokens = tokenizeSql(select);
  let start = tokens.findIndex((t) => isKeyword(t, 'SELECT'));
  if (start === -1) return null;
  start++;
  if (isKeyword(tokens[start], 'DISTINCT', 'ALL')) start++;
  let end = tokens.length;
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.value === '(' && t.kind === 'punct') depth++;
    else if (t.value === ')' && t.kind === 'punct') depth--;
    else if (depth === 0 && isKeyword(t, 'FROM', 'WHERE', 'GROUP', 'ORDER', 'LIMIT', 'UNION', 'EXCEPT', 'INTERSECT', 'WINDOW')) {
      end = i;
      break;
    }
  }
  const names: string[] = [];
  for (const item of splitTopLevel(tokens.slice(start, end))) {
    const name = itemName(item);
    if (name === null) return null;
    names.push(name);
  }
  return names;
}

function itemName(item: SqlToken[]): string | null {
  const last = item.at(-1);
  if (!last || last.value === '*') return null;
  if (item.length >= 2 && isKeyword(item.at(-2), 'AS')) return last.value.toLowerCase();
  if (item.length === 1) return last.value.toLowerCase();
  if (item.length === 3 && item[1]!.value === '.') return last.value.toLowerCase();
  const before = item.at(-2)!;
  if ((last.kind === 'word' || last.kind === 'identifier') && (before.kind !== 'punct' || before.value === ')')) return last.value.toLowerCase();
  return item
    .map((t) => t.text)
    .join('')
    .toLowerCase();
}
