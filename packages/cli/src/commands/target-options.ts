import type { Command } from 'commander';
import { MfmigError } from '@mfmig/core';
import type { MigrationTarget } from '@mfmig/framework';
import { versionNumber, wholeNumber } from './parse-options.js';

/** The parsed `--to` / `--to-mvp` options (see {@link addTargetOptions}). */
export interface TargetOptions {
  to?: number;
  toMvp?: number;
}

/**
 * Adds `--to <version>` and `--to-mvp <n>` to `command`, with the same help on every command:
 * `verb` says what happens to the target ("migrate to", "roll back to"). `required` commands
 * have no default target; the others default to the latest version.
 *
 * @example
 * addTargetOptions(program.command('plan'), 'plan to').action((options: TargetOptions) => targetFrom(options));
 */
export function addTargetOptions(command: Command, verb: string, options: { required?: boolean } = {}): Command {
  const latest = options.required ? '' : ' (default: the latest version)';
  return command
    .option('--to <version>', `${verb} this version${latest}`, versionNumber)
    .option('--to-mvp <n>', `${verb} this milestone (instead of --to)`, wholeNumber);
}

/**
 * The target of `--to N` / `--to-mvp N`: latest when neither is given, a `USAGE` error (exit 2)
 * when both are, or when neither is and `required` names the command that needs one.
 *
 * @example
 * targetFrom({ toMvp: 3 }); // { mvp: 3 }
 * targetFrom({}, { required: 'rollback' }); // throws USAGE
 */
export function targetFrom(options: TargetOptions, check: { required: string }): Exclude<MigrationTarget, { latest: true }>;
export function targetFrom(options: TargetOptions, check?: { required?: string }): MigrationTarget;
export function targetFrom(options: TargetOptions, check: { required?: string } = {}): MigrationTarget {
  if (options.to !== undefined && options.toMvp !== undefined) {
    throw new MfmigError('USAGE', 'Give either --to <version> or --to-mvp <n>, not both');
  }
  if (options.to !== undefined) return { version: options.to };
  if (options.toMvp !== undefined) return { mvp: options.toMvp };
  if (check.required) throw new MfmigError('USAGE', `Give the ${check.required} target: --to <version> or --to-mvp <n> (one of them)`);
  return { latest: true };
}
