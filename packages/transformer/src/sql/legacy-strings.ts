import { tokenizeSql } from '@mfmig/core';

const DQS_ERROR = /no such column: "((?:[^"]|"")*)" - should this be a string literal/;

/**
 * Runs a statement through a dialect connection the way SQLite's legacy mode reads double quotes:
 * better-sqlite3 is built with `SQLITE_DQS=0`, so `ticket_id LIKE "KB-%"` fails with "no such
 * column". SQLite's documented legacy rule is that a double-quoted word that names no column is a
 * string; when SQLite reports such a word, the statement runs again with that word as a string
 * (only the words SQLite reports), so that declarations written for it run. Another dialect's
 * errors are thrown as they are (PostgreSQL has no such legacy rule).
 *
 * @example
 * await runLenient('SELECT COUNT(*) FROM incidents WHERE ticket_id LIKE "KB-%"', (text) => conn.query(text));
 */
export async function runLenient<T>(sql: string, run: (text: string) => Promise<T>): Promise<T> {
  let text = sql;
  for (let attempt = 0; ; attempt++) {
    try {
      return await run(text);
    } catch (error) {
      text = retryText(text, error, attempt);
    }
  }
}

/** The statement with the word SQLite reported as a string, or the error rethrown when there is none (or no progress). */
function retryText(text: string, error: unknown, attempt: number): string {
  const match = DQS_ERROR.exec((error as Error)?.message ?? '');
  if (!match || attempt >= 20) throw error;
  const rewritten = quoteAsString(text, match[1]!.replace(/""/g, '"'));
  if (rewritten === text) throw error;
  return rewritten;
}

/** Turns every `"word"` token equal to `word` into the string literal `'word'`. */
function quoteAsString(sql: string, word: string): string {
  let out = '';
  let last = 0;
  for (const t of tokenizeSql(sql)) {
    if (t.kind === 'identifier' && t.text.startsWith('"') && t.value === word) {
      out += `${sql.slice(last, t.start)}'${word.replace(/'/g, "''")}'`;
      last = t.end;
    }
  }
  return out + sql.slice(last);
}
