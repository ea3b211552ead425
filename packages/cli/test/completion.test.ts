import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/run-cli.js';
import { mfmig, tempDir } from './helpers.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
const scripts: Record<string, string> = {};
const dir = tempDir();

beforeAll(() => {
  for (const shell of SHELLS) {
    const run = mfmig(dir, ['completion', shell]);
    expect(run.code, run.stderr).toBe(0);
    scripts[shell] = join(dir, `mfmig.${shell}`);
    writeFileSync(scripts[shell], run.stdout);
  }
});

/** What the bash completion function offers for the words typed, the last one being completed. */
function bashComplete(words: string[]): string[] {
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `source ${scripts.bash}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _mfmig_completion; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: dir });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

function run(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd: dir, env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir } });
  if (r.error) throw new Error(`${command} is not installed (Debian/Ubuntu: apt-get install -y zsh fish): ${r.error.message}`);
  return r;
}

describe('mfmig completion', () => {
  it('bash completes every command, options of the command typed, global options and choices', () => {
    const { program } = buildProgram();
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['migrate', 'rollback', 'redo', 'completion']));
    expect(bashComplete(['mfmig', ''])).toEqual(names);
    expect(bashComplete(['mfmig', 'mig'])).toEqual(['migrate']);
    expect(bashComplete(['mfmig', '--db', 'x.db', 're'])).toEqual(['redo', 'restore', 'resume', 'report']);
    const rollbackFlags = program.commands.find((c) => c.name() === 'rollback')!.options.map((o) => o.long);
    expect(bashComplete(['mfmig', 'rollback', '--'])).toEqual(expect.arrayContaining([...rollbackFlags, '--db', '--json', '--schema-file', '--no-dump']));
    expect(bashComplete(['mfmig', 'rollback', '--st'])).toEqual(['--step']);
    expect(bashComplete(['mfmig', 'emergency-rollback', ''])).toEqual(['corruption', 'failed-migration', 'data-loss', 'performance']);
    expect(bashComplete(['mfmig', 'validate', '--level', 's'])).toEqual(['standard']);
    expect(bashComplete(['mfmig', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    expect(bashComplete(['mfmig', 'rollback', '--to', ''])).toEqual([]);
  });

  it('zsh and fish scripts parse, zsh registers its function, and fish completes commands, options and choices', () => {
    const zshCheck = run('zsh', ['-n', scripts.zsh!]);
    expect(zshCheck.status, zshCheck.stderr).toBe(0);
    const zshLoad = run('zsh', ['-fc', `autoload -Uz compinit && compinit -u -D && source ${scripts.zsh} && print -r -- $_comps[mfmig]`]);
    expect(zshLoad.stdout.trim(), zshLoad.stderr).toBe('_mfmig');

    const fishCheck = run('fish', ['-n', scripts.fish!]);
    expect(fishCheck.status, fishCheck.stderr).toBe(0);
    const complete = (line: string) =>
      run('fish', ['-c', `source ${scripts.fish}; complete -C '${line}'`])
        .stdout.split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]);
    expect(complete('mfmig mig')).toEqual(['migrate']);
    expect(complete('mfmig rollback --st')).toEqual(['--step']);
    expect(complete('mfmig emergency-rollback ').sort()).toEqual(['corruption', 'data-loss', 'failed-migration', 'performance']);
  });

  it('refuses an unknown shell with exit 2, and with --json prints the script inside one JSON document', () => {
    expect(mfmig(dir, ['completion', 'powershell']).code).toBe(2);
    const json = mfmig(dir, ['--json', 'completion', 'fish']);
    expect(json.code).toBe(0);
    expect(json.json).toEqual({ shell: 'fish', script: readFileSync(scripts.fish!, 'utf8') });
  });
});
