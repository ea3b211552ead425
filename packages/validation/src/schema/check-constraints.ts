import { skipSqlQuoted } from '@mfmig/core';

/**
 * The CHECK constraint expressions of a CREATE TABLE statement, column and table constraints
 * alike, in order. SQLite does not load CHECK constraints on a read-only connection (it
 * skips them when it parses the schema of a read-only database), so `quick_check` and
 * `integrity_check` run by the validator cannot see them: the validator evaluates them itself.
 *
 * @example
 * extractCheckConstraints("CREATE TABLE t (a TEXT CHECK (a IN ('x', 'y)')), b INT, CHECK (b > 0))");
 * // ["a IN ('x', 'y)')", 'b > 0']
 */
export function extractCheckConstraints(createSql: string): string[] {
  const out: string[] = [];
  const sql = createSql;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') i = skipSqlQuoted(sql, i, c);
    else if (c === '[') i = sql.indexOf(']', i + 1) < 0 ? sql.length : sql.indexOf(']', i + 1) + 1;
    else if (c === '-' && sql[i + 1] === '-') i = sql.indexOf('\n', i) < 0 ? sql.length : sql.indexOf('\n', i) + 1;
    else if (c === '/' && sql[i + 1] === '*') i = sql.indexOf('*/', i + 2) < 0 ? sql.length : sql.indexOf('*/', i + 2) + 2;
    else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j]!)) j++;
      if (sql.slice(i, j).toUpperCase() === 'CHECK') {
        let k = j;
        while (k < sql.length && /\s/.test(sql[k]!)) k++;
        if (sql[k] === '(') {
          const end = matchingParen(sql, k);
          out.push(sql.slice(k + 1, end).trim());
          j = end + 1;
        }
      }
      i = j;
    } else i++;
  }
  return out;
}

function matchingParen(sql: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i = skipSqlQuoted(sql, i, c);
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    }
    i++;
  }
  return sql.length;
}

/** The column of `columns` an expression names, when it names exactly one. */
export function columnOfExpression(expression: string, columns: string[]): string | undefined {
  const words = new Set(
    (expression.replace(/'(?:[^']|'')*'/g, ' ').match(/"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*/g) ?? []).map((w) =>
      (w.startsWith('"') ? w.slice(1, -1) : w).toLowerCase(),
    ),
  );
  const named = columns.filter((c) => words.has(c.toLowerCase()));
  return named.length === 1 ? named[0] : undefined;
}
