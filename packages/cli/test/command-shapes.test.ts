import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { isMfmigError } from '@mfmig/core';
import type { MigrationFramework } from '@mfmig/framework';
import { removeTempDirs, tempDir } from '@mfmig/test-support';
import { closing } from '../src/closing.js';
import { confirmRisk } from '../src/commands/confirm-risk.js';
import { type TargetOptions, addTargetOptions, targetFrom } from '../src/commands/target-options.js';
import { CliRuntime } from '../src/runtime.js';
import { REAL_MIGRATIONS } from './helpers.js';

afterAll(removeTempDirs);

/** A runtime on a program whose global options are `args` (as `mfmig` declares them). */
function runtime(dir: string, args: string[] = []): CliRuntime {
  const program = new Command('mfmig')
    .option('--db <file>', '', join(dir, 'knowledge.db'))
    .option('--migrations <dir>', '', join(dir, 'migrations'))
    .option('--backups <dir>', '', join(dir, 'backups'))
    .option('--json', '', false)
    .option('--yes', '', false);
  program.parse(args, { from: 'user' });
  return new CliRuntime(program);
}

function codeOf(error: unknown): string | undefined {
  return isMfmigError(error) ? error.code : undefined;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('target options', () => {
  const parse = (args: string[]): TargetOptions => {
    const command = addTargetOptions(new Command('x').exitOverride(), 'go to');
    command.parse(args, { from: 'user' });
    return command.opts<TargetOptions>();
  };

  it('parses --to and --to-mvp as whole numbers into a target, latest by default', () => {
    expect(targetFrom(parse([]))).toEqual({ latest: true });
    expect(targetFrom(parse(['--to', '7']))).toEqual({ version: 7 });
    expect(targetFrom(parse(['--to-mvp', '3']))).toEqual({ mvp: 3 });
  });

  it('refuses a value that is not a whole number as a commander error (exit 2)', () => {
    expect(() => parse(['--to', 'ten'])).toThrow(CommanderError);
    expect(() => parse(['--to-mvp', '-1'])).toThrow(CommanderError);
  });

  it('refuses both targets, and no target where one is required, as USAGE', () => {
    expect(codeOf(rejectSync(() => targetFrom({ to: 1, toMvp: 1 })))).toBe('USAGE');
    expect(codeOf(rejectSync(() => targetFrom({}, { required: 'rollback' })))).toBe('USAGE');
    expect(targetFrom({ toMvp: 2 }, { required: 'rollback' })).toEqual({ mvp: 2 });
  });

  it('gives the same help on every command, naming the default only where there is one', () => {
    const optional = addTargetOptions(new Command('plan'), 'plan to').helpInformation();
    const required = addTargetOptions(new Command('rollback'), 'roll back to', { required: true }).helpInformation();
    expect(optional).toContain('plan to this version (default: the latest version)');
    expect(required).toContain('roll back to this milestone (instead of --to)');
    expect(required).not.toContain('default: the latest version');
  });
});

function rejectSync(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('confirmRisk', () => {
  it('lets low and medium risk through, refuses high risk without --yes, accepts it with --yes', async () => {
    const dir = tempDir();
    const asked = runtime(dir);
    await expect(confirmRisk(asked, 'medium', 'Go?', 'refused')).resolves.toBeUndefined();
    const error = await rejection(confirmRisk(asked, 'high', 'Go?', 'refused'));
    expect(codeOf(error)).toBe('RISK_NOT_ACCEPTED');
    expect((error as Error).message).toBe('refused');
    await expect(confirmRisk(runtime(dir, ['--yes']), 'critical', 'Go?', 'refused')).resolves.toBeUndefined();
  });
});

describe('closing and withFramework', () => {
  it('closes the resource after the work, and when the work throws', async () => {
    let closed = 0;
    const resource = { close: () => void closed++ };
    await expect(closing(resource, () => 42)).resolves.toBe(42);
    await expect(closing(resource, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(closed).toBe(2);
  });

  it('opens the framework on --db, runs the work, and closes the database', async () => {
    const dir = tempDir();
    const cli = runtime(dir, ['--migrations', REAL_MIGRATIONS]);
    let seen: MigrationFramework | undefined;
    const applied = await cli.withFramework({ create: true, loadModules: false }, async (framework) => {
      seen = framework;
      return (await framework.migrationService.status()).applied.length;
    });
    expect(applied).toBe(0);
    expect(existsSync(join(dir, 'knowledge.db'))).toBe(true);
    expect(seen?.context.adapter.raw.open).toBe(false);
  });

  it('closes the database when the work throws', async () => {
    const cli = runtime(tempDir());
    let seen: MigrationFramework | undefined;
    const error = await rejection(
      cli.withFramework({ create: true, loadModules: false }, (framework) => {
        seen = framework;
        throw new Error('boom');
      }),
    );
    expect((error as Error).message).toBe('boom');
    expect(seen?.context.adapter.raw.open).toBe(false);
  });
});
