/** A token of the planner's statement reader: a word (keyword or identifier, unquoted), a literal, or punctuation. */
export interface Word {
  kind: 'word' | 'identifier' | 'literal' | 'punct';
  /** Unquoted text; keywords keep their case (compare with {@link isWord}). */
  value: string;
}

/**
 * Reads an SQLite statement into words: comments and whitespace dropped, quoted identifiers
 * unquoted, string/number/blob literals and parameters kept as `literal`. Enough to tell what
 * a statement does and to which table; not a full parser.
 *
 * @example
 * readWords('DROP TABLE IF EXISTS "kb tags"').map((w) => w.value); // ['DROP', 'TABLE', 'IF', 'EXISTS', 'kb tags']
 */
export function readWords(sql: string): Word[] {
  const out: Word[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '-' && sql[i + 1] === '-') i = sql.indexOf('\n', i) === -1 ? n : sql.indexOf('\n', i) + 1;
    else if (c === '/' && sql[i + 1] === '*') i = sql.indexOf('*/', i + 2) === -1 ? n : sql.indexOf('*/', i + 2) + 2;
    else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < n && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      const body = sql.slice(i + 1, j).split(c + c).join(c);
      out.push(c === "'" ? { kind: 'literal', value: `'${body}'` } : { kind: 'identifier', value: body });
      i = j + 1;
    } else if (c === '[') {
      const j = sql.indexOf(']', i) === -1 ? n : sql.indexOf(']', i);
      out.push({ kind: 'identifier', value: sql.slice(i + 1, j) });
      i = j + 1;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j]!)) j++;
      out.push({ kind: 'word', value: sql.slice(i, j) });
      i = j;
    } else if (/[0-9?:@$]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_.]/.test(sql[j]!)) j++;
      out.push({ kind: 'literal', value: sql.slice(i, j) });
      i = j;
    } else {
      out.push({ kind: 'punct', value: c });
      i++;
    }
  }
  return out;
}

/** True when `w` is one of the keywords (case-insensitive; quoted identifiers never are). */
export function isWord(w: Word | undefined, ...keywords: string[]): boolean {
  return w?.kind === 'word' && keywords.includes(w.value.toUpperCase());
}

/** The name at `i` (skipping a `schema.` prefix) and the index after it. */
export function nameAt(words: Word[], i: number): { name: string; next: number } {
  if (words[i + 1]?.value === '.' && words[i + 1]?.kind === 'punct') return { name: words[i + 2]?.value ?? '', next: i + 3 };
  return { name: words[i]?.value ?? '', next: i + 1 };
}
