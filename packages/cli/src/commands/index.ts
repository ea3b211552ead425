import type { Command } from 'commander';
import type { CliRuntime } from '../runtime.js';
import { registerDemo } from './demo.js';
import { registerHistory } from './history.js';
import { registerMigrate } from './migrate.js';
import { registerSeed } from './seed.js';
import { registerStatus } from './status.js';

/** Every command of `mfmig`, registered in the order `--help` lists them. One line per command. */
export const COMMANDS: ((program: Command, cli: CliRuntime) => void)[] = [
  registerStatus,
  registerHistory,
  registerMigrate,
  registerSeed,
  registerDemo,
];
