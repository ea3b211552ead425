import type { Command } from 'commander';
import type { CliRuntime } from '../runtime.js';
import { registerArchives } from './archives.js';
import { registerBackup } from './backup.js';
import { registerBaseline } from './baseline.js';
import { registerCheckpoint } from './checkpoint.js';
import { registerCompletion } from './completion.js';
import { registerDemo } from './demo.js';
import { registerDiff } from './diff.js';
import { registerEmergencyRollback } from './emergency-rollback.js';
import { registerHealth } from './health.js';
import { registerHistory } from './history.js';
import { registerImport } from './import.js';
import { registerInit } from './init.js';
import { registerMigrate } from './migrate.js';
import { registerNew } from './new.js';
import { registerPlan } from './plan.js';
import { registerRedo } from './redo.js';
import { registerReport } from './report.js';
import { registerRestore } from './restore.js';
import { registerResume } from './resume.js';
import { registerRollback } from './rollback.js';
import { registerSeed } from './seed.js';
import { registerStatus } from './status.js';
import { registerValidate } from './validate.js';

/** Every command of `mfmig`, registered in the order `--help` lists them. One line per command. */
export const COMMANDS: ((program: Command, cli: CliRuntime) => void)[] = [
  registerInit,
  registerStatus,
  registerHistory,
  registerPlan,
  registerMigrate,
  registerNew,
  registerImport,
  registerBaseline,
  registerRollback,
  registerRedo,
  registerArchives,
  registerValidate,
  registerDiff,
  registerBackup,
  registerRestore,
  registerCheckpoint,
  registerResume,
  registerEmergencyRollback,
  registerHealth,
  registerReport,
  registerSeed,
  registerDemo,
  registerCompletion,
];
