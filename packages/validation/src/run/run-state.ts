import { type HistoryEntry, type MigrationSet, type MigrationStatus, type ServiceContext, computeStatus, messageOf } from '@mfmig/core';
import { HISTORY_READ } from '../checks/entries/history-entries.js';
import { checkIdOf } from '../checks/validation-check.js';
import { type LoadedMilestoneSpecs, loadMilestoneSpecs } from '../milestone/load-milestone-specs.js';
import { type MilestoneRequirements, mergeRequirements } from '../milestone/merge-requirements.js';
import type { RunRecorder } from './run-recorder.js';

/** Where the database stands against its migrations folder, as far as it can be known. */
export interface RunState {
  ctx: ServiceContext;
  /** The migrations folder, or null when none was given or it could not be read. */
  migrations: MigrationSet | null;
  /** Why `migrations` is null. */
  migrationsUnavailable: string | null;
  history: HistoryEntry[];
  status: MigrationStatus | null;
  /** The milestone reached (every migration of 1..n applied); null when unknown (no history or no folder). */
  currentMvp: number | null;
  specs: LoadedMilestoneSpecs | null;
  /** What milestones 1..currentMvp require together. */
  requirements: MilestoneRequirements | null;
}

/**
 * Reads the history (read-only), loads the migrations folder when one was given, and merges
 * the milestone declarations up to the milestone the database is at.
 *
 * @example
 * const state = await loadRunState(ctx, true, recorder);
 * state.currentMvp; // 1
 */
export async function loadRunState(ctx: ServiceContext, migrationsGiven: boolean, rec: RunRecorder): Promise<RunState> {
  const state: RunState = { ctx, migrations: null, migrationsUnavailable: null, history: [], status: null, currentMvp: null, specs: null, requirements: null };
  state.history = (await rec.attempt(checkIdOf(HISTORY_READ), () => ctx.connection.history.list())) ?? [];
  if (!migrationsGiven) {
    state.migrationsUnavailable = 'no migrations folder was given (migrationsPath / MIGRATION_PATH)';
    return state;
  }
  try {
    state.migrations = await ctx.loadMigrations();
  } catch (error) {
    state.migrationsUnavailable = `the migrations folder could not be loaded: ${messageOf(error)}`;
    return state;
  }
  state.status = computeStatus(state.migrations, state.history);
  state.specs = loadMilestoneSpecs(state.migrations.root, state.migrations.milestones);
  if (state.history.length > 0) {
    state.currentMvp = state.status.currentMvp;
    state.requirements = mergeRequirements(state.specs.specs, state.currentMvp);
  }
  return state;
}
