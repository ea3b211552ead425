import { type SqlToken, sqlTokenReader, tokenName } from './sql-tokens.js';

/** What one SQL statement is and which table it acts on directly. */
export interface StatementTarget {
  /**
   * The statement's verb: `DELETE`, `UPDATE`, `INSERT`, `REPLACE`, `SELECT`, `DROP TABLE`,
   * `DROP INDEX`, `ALTER TABLE`, `CREATE TABLE`, `CREATE INDEX`, `CREATE TRIGGER`, `CREATE VIEW`,
   * `PRAGMA`, `BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`, `RELEASE`, or the first word.
   */
  verb: string;
  /** The table (or index, view, trigger) the statement names as its object, unqualified. */
  table?: string;
  /** `ALTER TABLE t RENAME TO x`: `x`. */
  renamedTo?: string;
  /** `INSERT OR REPLACE`, `UPDATE OR IGNORE`, ...: the conflict clause's action. */
  conflict?: string;
  /** `PRAGMA name = value` / `PRAGMA name(value)`: the pragma's name and value (lower-case, unquoted). */
  pragma?: { name: string; value?: string };
}

const DML = new Set(['DELETE', 'UPDATE', 'INSERT', 'REPLACE', 'SELECT']);

/**
 * Reads the head of a statement: its verb and the table it writes or changes directly. A
 * `WITH` prefix is skipped; comments and every kind of SQLite quoting are understood.
 *
 * @example
 * statementTarget('-- tidy\nDELETE FROM "order items" WHERE id = 1'); // { verb: 'DELETE', table: 'order items' }
 * statementTarget('ALTER TABLE author RENAME TO _author_old'); // { verb: 'ALTER TABLE', table: 'author', renamedTo: '_author_old' }
 */
export function statementTarget(sql: string): StatementTarget {
  const at = new Cursor(sqlTokenReader(sql));
  const first = at.word();
  if (first === 'WITH') return afterWith(at);
  if (first === 'EXPLAIN') return { verb: 'EXPLAIN' };
  return fromVerb(first ?? '', at);
}

function afterWith(at: Cursor): StatementTarget {
  let depth = 0;
  while (!at.done) {
    const token = at.next()!;
    if (token.value === '(') depth++;
    else if (token.value === ')') depth--;
    else if (depth === 0 && token.kind === 'word' && DML.has(token.value)) return fromVerb(token.value, at);
  }
  return { verb: 'WITH' };
}

function fromVerb(verb: string, at: Cursor): StatementTarget {
  switch (verb) {
    case 'DELETE':
      at.skipWord('FROM');
      return { verb, table: at.qualifiedName() };
    case 'UPDATE': {
      const conflict = at.skipWord('OR') ? at.word() : undefined;
      return { verb, table: at.qualifiedName(), ...(conflict ? { conflict } : {}) };
    }
    case 'INSERT':
    case 'REPLACE': {
      const conflict = verb === 'REPLACE' ? 'REPLACE' : at.skipWord('OR') ? at.word() : undefined;
      at.skipWord('INTO');
      return { verb, table: at.qualifiedName(), ...(conflict ? { conflict } : {}) };
    }
    case 'DROP': {
      const kind = at.word() ?? '';
      if (at.skipWord('IF')) at.skipWord('EXISTS');
      return { verb: `DROP ${kind}`, table: at.qualifiedName() };
    }
    case 'ALTER': {
      at.skipWord('TABLE');
      const table = at.qualifiedName();
      if (at.skipWord('RENAME') && at.skipWord('TO')) return { verb: 'ALTER TABLE', table, renamedTo: at.name() };
      return { verb: 'ALTER TABLE', table };
    }
    case 'CREATE': {
      let kind = at.word() ?? '';
      while (['TEMP', 'TEMPORARY', 'UNIQUE', 'VIRTUAL'].includes(kind)) kind = at.word() ?? '';
      if (at.skipWord('IF')) {
        at.skipWord('NOT');
        at.skipWord('EXISTS');
      }
      return { verb: `CREATE ${kind}`, table: at.qualifiedName() };
    }
    case 'PRAGMA': {
      const name = at.qualifiedName()?.toLowerCase();
      const eq = at.peek()?.value;
      if (eq === '=' || eq === '==' || eq === '(') at.next();
      const raw = at.next()?.value;
      return { verb, pragma: { name: name ?? '', ...(raw !== undefined ? { value: raw.toLowerCase() } : {}) } };
    }
    case 'END':
      return { verb: 'COMMIT' };
    default:
      return { verb };
  }
}

/** Reads tokens one by one, lexing no further than it reads: most statements need only their head. */
class Cursor {
  readonly #tokens: SqlToken[] = [];
  readonly #read: () => SqlToken | undefined;
  #ended = false;
  #i = 0;

  constructor(read: () => SqlToken | undefined) {
    this.#read = read;
  }

  #at(i: number): SqlToken | undefined {
    while (!this.#ended && this.#tokens.length <= i) {
      const token = this.#read();
      if (token) this.#tokens.push(token);
      else this.#ended = true;
    }
    return this.#tokens[i];
  }

  get done(): boolean {
    return this.#at(this.#i) === undefined;
  }

  peek(): SqlToken | undefined {
    return this.#at(this.#i);
  }

  next(): SqlToken | undefined {
    return this.#at(this.#i++);
  }

  /** The next token when it is a bare word (upper-cased). */
  word(): string | undefined {
    const t = this.peek();
    if (t?.kind !== 'word') return undefined;
    this.#i++;
    return t.value;
  }

  skipWord(word: string): boolean {
    if (this.peek()?.kind === 'word' && this.peek()?.value === word) {
      this.#i++;
      return true;
    }
    return false;
  }

  /** A name: a bare word, a quoted identifier, or a string used as one. */
  name(): string | undefined {
    const t = this.peek();
    if (t?.kind !== 'word' && t?.kind !== 'identifier' && t?.kind !== 'string') return undefined;
    this.#i++;
    return tokenName(t);
  }

  /** `schema.name` or `name`: the name. */
  qualifiedName(): string | undefined {
    const first = this.name();
    if (this.peek()?.value === '.') {
      this.#i++;
      return this.name();
    }
    return first;
  }
}
