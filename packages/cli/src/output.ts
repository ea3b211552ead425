import { isMfmigError } from '@mfmig/core';
import { hintFor } from './error-hints.js';
import { fileSystemError } from './file-system-error.js';
import { type Colors, colorsFor, inert, printable } from './printable.js';

/**
 * Where the CLI writes: human text or one JSON document, colour only on a TTY without NO_COLOR.
 * Every line of human text goes through `printable`: a control character in it (from the
 * database, the configuration or a file) is shown as an escape, never acted on by the terminal.
 */
export class Output {
  readonly json: boolean;
  readonly colors: Colors;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly assumeYes: boolean;

  constructor(options: { json: boolean; yes: boolean; stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream }) {
    this.json = options.json;
    this.assumeYes = options.yes;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    const colour = !this.json && this.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
    this.colors = colorsFor(colour);
  }

  /** True when progress may draw bars (stderr is a terminal). */
  get interactive(): boolean {
    return this.stderr.isTTY === true;
  }

  /** One line of human text on stdout (control characters shown as escapes); nothing in JSON mode. */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${printable(text)}\n`);
  }

  /** Text of several lines the CLI shows as it is (a migration's SQL in a dry run): each line printed as `line` prints one. */
  block(text: string): void {
    for (const line of text.split(/\r?\n/)) this.line(line);
  }

  /** Notes for the human that never pollute stdout: stderr, one line. */
  note(text: string): void {
    this.stderr.write(`${printable(text)}\n`);
  }

  /** The command's result: JSON document in JSON mode, else the human rendering. */
  result(data: unknown, human: () => void): void {
    if (this.json) this.stdout.write(`${JSON.stringify(data, jsonReplacer, 2)}\n`);
    else human();
  }

  /**
   * One line on stderr, with the command-line hint for its code (and a JSON error document on
   * stdout in JSON mode, with the migration's version and statement when known, and the refusal's
   * `reason` where the error gives one: `dirty`, `locked`, `differences`, ...).
   */
  error(thrown: unknown): void {
    const error = fileSystemError(thrown);
    const code = isMfmigError(error) ? error.code : 'INTERNAL';
    const message = oneLine(error instanceof Error ? error.message : String(error));
    const hint = isMfmigError(error) ? hintFor(error) : undefined;
    this.stderr.write(`${printable(`${this.colors.red('mfmig:')} ${message}${hint ? `; ${hint}` : ''}`)}\n`);
    const where = isMfmigError(error)
      ? Object.fromEntries(['version', 'migration', 'statement', 'reason'].filter((k) => error.context[k] !== undefined).map((k) => [k, error.context[k]]))
      : {};
    if (this.json) this.stdout.write(`${JSON.stringify({ error: { code, message, ...where, ...(hint ? { hint } : {}) } }, null, 2)}\n`);
  }

  /** A plain text table. */
  table(rows: Record<string, unknown>[], columns: { key: string; label: string; align?: 'right' }[]): void {
    if (this.json) return;
    // control characters become escapes before the widths are measured (`line` finds none left)
    const cells = rows.map((row) => columns.map((c) => inert(String(row[c.key] ?? ''))));
    const widths = columns.map((c, i) => Math.max(c.label.length, ...cells.map((r) => r[i]!.length)));
    const format = (values: string[]) =>
      values
        .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    this.line(this.colors.bold(format(columns.map((c) => c.label))));
    for (const row of cells) this.line(format(row));
  }

  /** Asks a yes/no question on a TTY; `--yes` answers yes; without a TTY the answer is no. */
  async confirm(question: string): Promise<boolean> {
    if (this.assumeYes) return true;
    if (!process.stdin.isTTY || !this.stderr.isTTY) return false;
    // node:readline loads for a prompt, not with every command
    const rl = process.getBuiltinModule('node:readline/promises').createInterface({ input: process.stdin, output: this.stderr });
    try {
      const answer = await rl.question(`${question} [y/N] `);
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}
