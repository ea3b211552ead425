import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { runCli } from '../../src/run-cli.js';
import { mfmig, sqlMigration, tempDir, writeMigrations } from '../helpers.js';

/** Flags per command; a flag with a value lists the plausible ones. */
const COMMANDS: Record<string, Record<string, string[] | null>> = {
  status: {},
  history: { '--metrics': null },
  plan: { '--to': ['0', '1', '2', '3'], '--to-mvp': ['0', '1', '2', '9'] },
  migrate: {
    '--to': ['0', '1', '2', '7'],
    '--to-mvp': ['1', '2', '5'],
    '--dry-run': null,
    '--accept-checksum': ['1', '1,2', '2,x'],
    '--rollback-on-failure': null,
    '--checkpoint': null,
    '--lock-timeout': ['0', '10', '50'],
  },
  rollback: { '--step': ['1', '2', '3'], '--to': ['0', '1', '2'], '--to-mvp': ['0', '1', '2'], '--no-preserve-data': null, '--plan-only': null },
  redo: { '--plan-only': null },
  completion: {},
  validate: { '--level': ['quick', 'standard', 'comprehensive', 'deep'], '--timeout': ['0', '1', '50'] },
  diff: { '--from': ['0', '1', '2', '5'], '--to': ['0', '1', '2', 'live', 'dead'] },
  backup: { '--label': ['nightly', '', 'x"; --'], '--no-verify': null, '--list': null, '--all': null },
  restore: { '--no-save-aside': null, '--allow-other-database': null },
  checkpoint: { '--id': ['release', '..', 'a b'], '--to': ['1', '2'], '--to-mvp': ['1', '2'], '--list': null },
  resume: { '--restore': ['auto', 'always', 'never', 'sometimes'] },
  'emergency-rollback': {},
  seed: { '--rows': ['0', '1', '5', '40'], '--seed': ['0', '1', '7'] },
  health: {},
  report: { '--out': ['report.html', 'out/r.html', 'migrations', '.'] },
};
const OPERANDS: Record<string, string[]> = {
  restore: ['latest', 'knowledge.db', 'backups', '00000000'],
  resume: ['backups', 'checkpoints', 'knowledge.db', '.'],
  completion: ['bash', 'zsh', 'fish', 'tcsh'],
  'emergency-rollback': ['corruption', 'failed-migration', 'data-loss', 'performance', 'meteor'],
};
const GLOBAL_VALUES: Record<string, string[]> = {
  '--db': ['knowledge.db', 'other.db', 'missing/kb.db', 'migrations', 'backups', '.'],
  '--migrations': ['migrations', 'nowhere', 'knowledge.db', 'migrations/mvp1'],
  '--backups': ['backups', 'other-backups', 'knowledge.db'],
  '--schema-file': ['schema.sql', 'db/schema.sql', 'knowledge.db', 'migrations'],
};
const TRICKY = [
  '',
  ' ',
  '-',
  '--',
  '-1',
  '0',
  '1',
  '99',
  '1e3',
  '0x10',
  'NaN',
  'Infinity',
  '9007199254740993',
  '1,2,x',
  'latest',
  'live',
  '..',
  'x"; DROP TABLE t; --',
  '💥',
  'a\nb',
];

/** A string that is no path outside the sandbox and no large number (nothing may run long). */
const freeText = fc
  .string({ maxLength: 12, unit: 'grapheme' })
  .filter((s) => !s.includes('/') && !s.includes('\0') && !(/^\s*\d+\s*$/.test(s) && Number(s) > 60));
const junk = fc.oneof(fc.constantFrom(...TRICKY), fc.integer({ min: -3, max: 60 }).map(String), freeText);
/** Mostly a plausible value, sometimes junk. */
const valueOf = (plausible: string[]) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...plausible) }, { weight: 1, arbitrary: junk });

/** `[globals] command [flags with values] [operand]`, plus a random token now and then. */
const structured = fc.constantFrom(...Object.keys(COMMANDS)).chain((command) => {
  const flags = Object.entries(COMMANDS[command]!);
  const flagArb: fc.Arbitrary<string[]> =
    flags.length === 0 ? fc.constant([]) : fc.constantFrom(...flags).chain(([f, v]) => (v ? valueOf(v).map((x) => [f, x]) : fc.constant([f])));
  const globalArb = fc.constantFrom(...Object.entries(GLOBAL_VALUES)).chain(([f, v]) => valueOf(v).map((x) => [f, x]));
  return fc
    .record({
      json: fc.boolean(),
      yes: fc.boolean(),
      globals: fc.array(globalArb, { maxLength: 2 }),
      flags: fc.array(flagArb, { maxLength: 3 }),
      operand: OPERANDS[command] ? valueOf(OPERANDS[command]).map((o) => [o]) : fc.constant<string[]>([]),
      noise: fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.oneof(junk, fc.constantFrom('--bogus', '--help', '--version', '-h'))) },
      ),
    })
    .map(({ json, yes, globals, flags: picked, operand, noise }) => {
      const args = [...(json ? ['--json'] : []), ...(yes ? ['--yes'] : []), ...globals.flat(), command, ...picked.flat(), ...operand];
      if (noise) args.splice(noise[0] % (args.length + 1), 0, noise[1]);
      return args;
    });
});
const allFlags = [...new Set([...Object.keys(GLOBAL_VALUES), '--json', '--yes', '--help', ...Object.values(COMMANDS).flatMap((c) => Object.keys(c))])];
/** Tokens in any order. */
const chaotic: fc.Arbitrary<string[]> = fc.array(fc.oneof(fc.constantFrom(...Object.keys(COMMANDS), ...allFlags), junk), { maxLength: 7 });
export const argv: fc.Arbitrary<string[]> = fc.oneof({ weight: 4, arbitrary: structured }, { weight: 1, arbitrary: chaotic });

/** Runs the CLI in this process with stdout and stderr captured. */
export async function runCaptured(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await runCli(args), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

export const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/** The checks on one command line; returns the JSON error code when there was one. */
export async function fuzzOnce(args: string[]): Promise<{ code: number; jsonError?: string }> {
  const r = await runCaptured(args);
  const shown = JSON.stringify(args);
  expect([0, 1, 2, 3], `${shown}: ${r.stderr}`).toContain(r.code);
  expect(r.stderr, shown).not.toMatch(STACK);
  expect(r.stdout, shown).not.toMatch(STACK);
  expect(r.stderr, shown).not.toContain('unexpected failure');
  if (!args.includes('--json') || !r.stdout.trim().startsWith('{')) return { code: r.code };
  // a result document (health, validate) may come with exit 1; an error document needs a real code
  const doc = JSON.parse(r.stdout) as { error?: { code?: string } };
  if (doc.error === undefined) return { code: r.code };
  expect(r.code, shown).not.toBe(0);
  expect(doc.error.code, `${shown}: ${r.stdout}`).toMatch(/^[A-Z_]+$/);
  expect(doc.error.code, `${shown}: ${r.stdout}`).not.toBe('INTERNAL');
  return { code: r.code, jsonError: doc.error.code };
}

/** A sandbox folder with a two-migration database and one backup, made the current directory. */
export function fuzzSandbox(): { work: string; leave: () => void } {
  const root = tempDir('mfmig-fuzz-');
  const work = join(root, 'work');
  mkdirSync(work);
  writeMigrations(work, {
    'mvp1/0001_items.sql': sqlMigration('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);', 'DROP TABLE items;'),
    'mvp2/0002_orders.sql': sqlMigration(
      'CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items (id), qty INTEGER);',
      'DROP TABLE orders;',
    ),
  });
  expect(mfmig(work, ['migrate']).code).toBe(0);
  expect(mfmig(work, ['backup']).code).toBe(0);
  const cwd = process.cwd();
  const database = process.env.DATABASE_PATH;
  process.chdir(work);
  // in process, as the binary gets it from cliEnv: the sandbox's knowledge.db unless --db says otherwise
  process.env.DATABASE_PATH = 'knowledge.db';
  return {
    work,
    leave: () => {
      process.chdir(cwd);
      if (database === undefined) delete process.env.DATABASE_PATH;
      else process.env.DATABASE_PATH = database;
    },
  };
}
