import { randomBytes } from 'node:crypto';
import pc from 'picocolors';

/** The colour functions commands use (`out.colors.red('x')`), picocolors' names and shape. */
export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Characters a terminal acts on instead of showing: C0 controls (line breaks included), DEL, C1
 * controls, and the Unicode line and paragraph separators.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Opens and closes a colour token: private-use characters, plus a secret no text can know (see {@link colorsFor}). */
const TOKEN_OPEN = '\uE000';
const TOKEN_CLOSE = '\uE001';
const NONCE = randomBytes(6).toString('hex');
const TOKEN = new RegExp(`${TOKEN_OPEN}${NONCE}([0-9;]+)${TOKEN_CLOSE}`, 'g');

/**
 * Makes text safe to print on a terminal: every control character is shown as an escape
 * (`\n`, `\r`, `\t`, `\x1b`, `\u2028`...) instead of being acted on, so that text taken from the
 * database (a lock row, a table name), the configuration (`EMERGENCY_CONTACTS`) or a file (a
 * manifest) cannot print fake lines, move the cursor, set the window title or colour the screen.
 * The colours the CLI itself adds (through {@link colorsFor}) survive: they travel as tokens no
 * text can forge, and become escape sequences only here. The one place where the CLI's human
 * output is cleaned; `--json` output is left to `JSON.stringify`, which escapes the raw value.
 *
 * @example
 * printable('dba@x\nDone: fake\u001b[2J'); // 'dba@x\\nDone: fake\\x1b[2J'
 */
export function printable(text: string): string {
  return inert(text).replace(TOKEN, (_match, codes: string) => `\u001b[${codes}m`);
}

/**
 * Text with its control characters shown as escapes; colour tokens are left for {@link printable}.
 *
 * @example
 * inert('a\nb'); // 'a\\nb'
 */
export function inert(text: string): string {
  return text.replace(CONTROL, escapeControl);
}

/**
 * Colour functions for the CLI's own text. Off: plain text. On: each function wraps its
 * argument in colour tokens that {@link printable} turns into SGR escape sequences; the argument
 * itself is made printable first, so a colour never carries a control character from the data.
 *
 * @example
 * const c = colorsFor(true);
 * printable(c.red('failed')); // '\x1b[31mfailed\x1b[39m'
 */
export function colorsFor(enabled: boolean): Colors {
  if (!enabled) return pc.createColors(false);
  const on = pc.createColors(true) as unknown as Record<string, unknown>;
  const wrapped: Record<string, unknown> = { isColorSupported: true };
  for (const [name, fn] of Object.entries(on)) {
    if (typeof fn !== 'function') continue;
    const [open = '', close = ''] = (fn as (s: string) => string)('\u0000').split('\u0000');
    wrapped[name] = (input: unknown) => `${token(open)}${inert(String(input))}${token(close)}`;
  }
  return wrapped as unknown as Colors;
}

/** `\x1b[31m` -> a token carrying `31`; anything else (never produced by picocolors) is dropped. */
function token(sequence: string): string {
  // eslint-disable-next-line no-control-regex -- picocolors' own sequences are what is matched here
  const codes = /^\u001b\[([0-9;]+)m$/.exec(sequence)?.[1];
  return codes ? `${TOKEN_OPEN}${NONCE}${codes}${TOKEN_CLOSE}` : '';
}

function escapeControl(char: string): string {
  switch (char) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default: {
      const code = char.charCodeAt(0);
      return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
    }
  }
}
