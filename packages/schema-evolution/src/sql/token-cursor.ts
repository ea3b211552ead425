import { closingIndex } from './canonical-sql.js';
import { type SqlToken, isKeyword } from './sql-tokenizer.js';

/** Reads a token list front to back; the small parsers of this package are built on it. */
export class TokenCursor {
  readonly tokens: readonly SqlToken[];
  #index = 0;

  constructor(tokens: readonly SqlToken[]) {
    this.tokens = tokens;
  }

  get index(): number {
    return this.#index;
  }

  get done(): boolean {
    return this.#index >= this.tokens.length;
  }

  peek(offset = 0): SqlToken | undefined {
    return this.tokens[this.#index + offset];
  }

  next(): SqlToken | undefined {
    return this.tokens[this.#index++];
  }

  /** Consumes the keywords when they come next, in order; returns whether they did. */
  accept(...words: string[]): boolean {
    for (const [offset, word] of words.entries()) {
      if (!isKeyword(this.peek(offset), word)) return false;
    }
    this.#index += words.length;
    return true;
  }

  /** True when the next token is one of the keywords (not consumed). */
  at(...words: string[]): boolean {
    return isKeyword(this.peek(), ...words);
  }

  /** True when the next token is the punctuation `p`. */
  atPunct(p: string): boolean {
    const t = this.peek();
    return t?.kind === 'punct' && t.value === p;
  }

  /** Reads a possibly schema-qualified name (`main.t` gives `t`). */
  name(): string {
    const first = this.next();
    if (!first) throw new SyntaxError('name expected');
    if (this.atPunct('.')) {
      this.next();
      return this.next()?.value ?? '';
    }
    return first.kind === 'string' ? first.value.slice(1, -1).replace(/''/g, "'") : first.value;
  }

  /** Reads `( ... )` and returns the tokens inside; throws when the next token is not `(`. */
  parenthesized(): SqlToken[] {
    if (!this.atPunct('(')) throw new SyntaxError(`"(" expected near ${this.peek()?.text ?? 'end'}`);
    const close = closingIndex(this.tokens, this.#index);
    if (close === -1) throw new SyntaxError('unbalanced parentheses');
    const inner = this.tokens.slice(this.#index + 1, close);
    this.#index = close + 1;
    return [...inner];
  }

  /** The tokens from here to the end. */
  rest(): SqlToken[] {
    const out = this.tokens.slice(this.#index);
    this.#index = this.tokens.length;
    return [...out];
  }
}
