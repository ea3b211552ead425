/** A value of a literal the static reader understands: JSON plus single-quoted and template strings. */
type Literal = string | number | boolean | null | Literal[] | { [key: string]: Literal };

/** One `export const meta` (optionally typed) or CommonJS `exports.meta =`, at the start of a line. */
const DECLARATION = /^[ \t]*(?:export[ \t]+const[ \t]+meta\b|(?:module\.)?exports\.meta[ \t]*=)/gm;
/** A type annotation ends at the first `=` outside quotes that is not part of `=>`. */
const TYPE_ANNOTATION = /(?:[^='"`]|=>|'[^'\n]*'|"[^"\n]*"|`[^`]*`)*/y;
const IDENTIFIER = /[A-Za-z_$][\w$]*/y;
const NUMBER = /-?(?:\d[\d_]*(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const MAX_DEPTH = 16;

/**
 * Reads the `meta` object literal of a `.ts`/`.js` migration module from its source text,
 * without evaluating anything: `export const meta = { description: '...', foreignKeys: 'off' }`
 * (a type annotation, `as const` and `satisfies` are fine), or `exports.meta = { ... }`. Values
 * must be literals (strings without `${}`, numbers, booleans, null, arrays and objects of
 * them). Returns undefined when there is no such declaration, more than one, or anything the
 * reader does not understand (an identifier, a call, a spread, a computed key): the caller then
 * uses its defaults.
 *
 * @example
 * readStaticModuleMeta("export const meta: MigrationMeta = { description: 'Add notes' };"); // { description: 'Add notes' }
 * readStaticModuleMeta('export const meta = { description: DESCRIPTION };'); // undefined
 */
export function readStaticModuleMeta(source: string): Record<string, Literal> | undefined {
  const found = [...source.matchAll(DECLARATION)];
  if (found.length !== 1) return undefined;
  const reader = new LiteralReader(source, found[0]!.index + found[0]![0].length);
  try {
    if (!found[0]![0].endsWith('=')) {
      if (reader.take(':')) reader.skipTypeAnnotation();
      if (!reader.take('=')) return undefined;
    }
    const value = reader.value(0);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch (error) {
    if (error instanceof NotALiteral) return undefined;
    throw error;
  }
}

class NotALiteral extends Error {}

/** A small recursive-descent reader of literals; anything else throws {@link NotALiteral}. */
class LiteralReader {
  readonly #text: string;
  #at: number;

  constructor(text: string, at: number) {
    this.#text = text;
    this.#at = at;
  }

  value(depth: number): Literal {
    if (depth > MAX_DEPTH) throw new NotALiteral();
    this.#space();
    const c = this.#text[this.#at];
    if (c === '{') return this.#object(depth);
    if (c === '[') return this.#array(depth);
    if (c === "'" || c === '"' || c === '`') return this.#string(c);
    const word = this.#match(IDENTIFIER);
    if (word === 'true' || word === 'false') return word === 'true';
    if (word === 'null') return null;
    if (word !== undefined) throw new NotALiteral();
    const number = this.#match(NUMBER);
    if (number === undefined) throw new NotALiteral();
    return Number(number.replaceAll('_', ''));
  }

  take(token: string): boolean {
    this.#space();
    if (!this.#text.startsWith(token, this.#at)) return false;
    this.#at += token.length;
    return true;
  }

  skipTypeAnnotation(): void {
    this.#match(TYPE_ANNOTATION);
  }

  #object(depth: number): Record<string, Literal> {
    this.#at++;
    const out: Record<string, Literal> = Object.create(null) as Record<string, Literal>;
    while (!this.take('}')) {
      this.#space();
      const c = this.#text[this.#at];
      const key = c === "'" || c === '"' ? this.#string(c) : this.#match(IDENTIFIER);
      if (key === undefined || !this.take(':')) throw new NotALiteral();
      out[key] = this.value(depth + 1);
      if (!this.take(',')) {
        if (!this.take('}')) throw new NotALiteral();
        break;
      }
    }
    return { ...out };
  }

  #array(depth: number): Literal[] {
    this.#at++;
    const out: Literal[] = [];
    while (!this.take(']')) {
      out.push(this.value(depth + 1));
      if (!this.take(',')) {
        if (!this.take(']')) throw new NotALiteral();
        break;
      }
    }
    return out;
  }

  #string(quote: string): string {
    let out = '';
    for (let i = this.#at + 1; i < this.#text.length; i++) {
      const c = this.#text[i]!;
      if (c === quote) {
        this.#at = i + 1;
        return out;
      }
      if (quote === '`' && c === '$' && this.#text[i + 1] === '{') throw new NotALiteral();
      if ((c === '\n' || c === '\r') && quote !== '`') throw new NotALiteral();
      if (c !== '\\') {
        out += c;
        continue;
      }
      const next = this.#text[++i];
      if (next === undefined) break;
      const escaped = ESCAPES[next];
      if (escaped !== undefined) out += escaped;
      else if (next === 'u' || next === 'x') {
        const code = HEX_ESCAPE[next].exec(this.#text.slice(i + 1, i + 10));
        const point = code ? Number.parseInt(code[1] ?? code[2]!, 16) : Number.NaN;
        if (!code || !(point <= 0x10ffff)) throw new NotALiteral();
        out += String.fromCodePoint(point);
        i += code[0].length;
      } else if (next === '\r' && this.#text[i + 1] === '\n') i++;
      else if (next !== '\n' && next !== '\r') out += next;
    }
    throw new NotALiteral();
  }

  #match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.#at;
    const m = pattern.exec(this.#text);
    if (!m) return undefined;
    this.#at += m[0].length;
    return m[0];
  }

  /** Skips white space and comments. */
  #space(): void {
    const text = this.#text;
    for (;;) {
      while (this.#at < text.length && /\s/.test(text[this.#at]!)) this.#at++;
      if (text.startsWith('//', this.#at)) {
        const end = text.indexOf('\n', this.#at);
        this.#at = end === -1 ? text.length : end + 1;
      } else if (text.startsWith('/*', this.#at)) {
        const end = text.indexOf('*/', this.#at + 2);
        if (end === -1) throw new NotALiteral();
        this.#at = end + 2;
      } else {
        return;
      }
    }
  }
}

const HEX_ESCAPE = { u: /^(?:([0-9a-fA-F]{4})|\{([0-9a-fA-F]{1,6})\})/, x: /^([0-9a-fA-F]{2})/ };
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0', '\\': '\\', "'": "'", '"': '"', '`': '`' };
