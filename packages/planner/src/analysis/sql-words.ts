import { type SqlToken, tokenName } from '@mfmig/core';

/**
 * The name a token stands for where a statement names something (see core's `tokenName`).
 *
 * @example
 * nameOf(tokenizeSql('"kb tags"')[0]); // 'kb tags'
 */
export function nameOf(token: SqlToken | undefined): string | undefined {
  return token ? tokenName(token) : undefined;
}

/**
 * The keyword a token is (upper case), or undefined for anything but a bare word.
 *
 * @example
 * keywordOf(tokenizeSql('drop')[0]); // 'DROP'
 */
export function keywordOf(token: SqlToken | undefined): string | undefined {
  return token?.kind === 'word' ? token.value : undefined;
}

/**
 * The name at `i` (skipping a `schema.` prefix) and the index after it.
 *
 * @example
 * nameAt(tokenizeSql('main."kb tags" AS t'), 0); // { name: 'kb tags', next: 3 }
 */
export function nameAt(tokens: SqlToken[], i: number): { name: string; next: number } {
  if (tokens[i + 1]?.kind === 'punct' && tokens[i + 1]?.value === '.') return { name: nameOf(tokens[i + 2]) ?? '', next: i + 3 };
  return { name: nameOf(tokens[i]) ?? '', next: i + 1 };
}
