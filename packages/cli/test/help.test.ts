import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Option } from 'commander';
import { buildProgram } from '@mfmig/cli';
import { REPO, mfmig, tempDir } from './helpers.js';

/** What commander prints for an option's default, e.g. `default: "./knowledge.db"` or `default: 10000`. */
function defaultText(option: Option): string | null {
  if (option.defaultValue === undefined || option.negate) return null;
  return `default: ${option.defaultValueDescription ?? JSON.stringify(option.defaultValue)}`;
}

/** Help text with commander's line wrapping undone. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

describe('mfmig --help', () => {
  const { program } = buildProgram();
  const dir = tempDir();
  const commands = program.commands.map((c) => c.name()).filter((n) => n !== 'help');

  it('lists every command and every global option with its default', () => {
    const help = mfmig(dir, ['--help']);
    expect(help.code).toBe(0);
    for (const name of commands) expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(commands).toEqual(
      expect.arrayContaining([
        'status',
        'history',
        'plan',
        'migrate',
        'rollback',
        'validate',
        'diff',
        'backup',
        'restore',
        'checkpoint',
        'resume',
        'emergency-rollback',
        'health',
        'report',
        'seed',
        'demo',
      ]),
    );
    for (const option of program.options) {
      expect(help.stdout).toContain(option.flags);
      const d = defaultText(option);
      if (d) expect(flat(help.stdout)).toContain(d);
    }
  });

  it('mfmig <command> --help lists every option of the command and the global ones, with defaults', () => {
    // the binary, for one command; the same commander help, in process, for all of them (fast)
    const migrate = mfmig(dir, ['migrate', '--help']);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toBe(program.commands.find((c) => c.name() === 'migrate')!.helpInformation());
    for (const command of program.commands.filter((c) => c.name() !== 'help')) {
      const help = command.helpInformation();
      expect(help).toContain(`Usage: mfmig ${command.name()}`);
      for (const option of [...command.options, ...program.options]) {
        expect(help, `${command.name()} ${option.flags}`).toContain(option.flags);
        const d = defaultText(option);
        if (d) expect(flat(help), `${command.name()} ${option.flags}`).toContain(d);
      }
    }
  });

  it('suggests the closest command or flag for a typo, exit 2', () => {
    const command = mfmig(dir, ['migrat']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('migrate?');
    const flag = mfmig(dir, ['migrate', '--dry-rn']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--dry-run?');
    const global = mfmig(dir, ['--jsn', 'status']);
    expect(global.code).toBe(2);
    expect(global.stderr).toContain('--json?');
    const report = mfmig(dir, ['reprot']);
    expect(report.code).toBe(2);
    expect(report.stderr).toContain('report?');
  });
});

describe('mfmig --version', () => {
  it("prints the installed package's version and exits 0", () => {
    const version = (JSON.parse(readFileSync(join(REPO, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const run = mfmig(tempDir(), [flag]);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
  });
});
