import type { IntegrityCheckLevel } from '@mfmig/core';
import type { FindingCode } from '../report/finding-codes.js';
import type { CheckKind, DatabaseStatistics, MilestoneCompliance } from '../report/types.js';
import type { RunOperation, Operation } from '../run/run-operation.js';
import type { RunRecorder } from '../run/run-recorder.js';
import type { RunState } from '../run/run-state.js';
import type { CheckEnv, CheckId, ProbeTask } from './check-env.js';

/** Every level, shallowest first. */
export const EVERY_LEVEL: readonly IntegrityCheckLevel[] = ['quick', 'standard', 'comprehensive'];

/** The standard and comprehensive levels. */
export const FROM_STANDARD: readonly IntegrityCheckLevel[] = ['standard', 'comprehensive'];

/** What every entry of the check registry says about its check. */
interface CheckInfo {
  /** As `checksRun` and `checksSkipped` list it, e.g. `schema.expected`. Unique in the registry. */
  id: string;
  kind: CheckKind;
  /** The levels that run it. */
  levels: readonly IntegrityCheckLevel[];
  /** The finding codes it can raise (see `RECORDER_CODES` for those any check can end in). */
  codes: readonly FindingCode[];
  /** `catalog`: on the calling thread, reading the catalog, the history or files (milliseconds at any size); `probe`: queries whose cost grows with the data, in child processes. */
  where: 'catalog' | 'probe';
  /** One line for the documentation (the README level table and `LEVEL_CHECKS`). */
  description: string;
  /**
   * What `checksSkipped` lists (reason `level`) at the levels that do not run it; none when
   * another check takes its place there. `id` names the line when several checks share one
   * (recorded once per run).
   */
  levelSkip?: { id?: string; message: string };
}

/** What the run hands a catalog check. */
export interface CatalogCheckContext {
  /** This check's id and kind, as `checksRun` lists them: pass it to `rec.guard` / `rec.skip`. */
  check: CheckId;
  env: CheckEnv;
  state: RunState;
  rec: RunRecorder;
  /** The method being run, and its input (a version, a plan). */
  op: RunOperation;
  /** What the report carries besides findings. */
  out: RunOutputs;
}

/** What a run reports besides findings and checks, filled in by the checks that measure it. */
export interface RunOutputs {
  compliance: MilestoneCompliance[];
  statistics: DatabaseStatistics | null;
}

/** A check that runs in-process, called by the run with its context. */
export interface CatalogCheck extends CheckInfo {
  where: 'catalog';
  /**
   * Unset: a check of the level, run by every method that checks the database (all but
   * `validateMigrationPlan`), after the probes are started. Set: run by that method only,
   * after the checks of the level.
   */
  operation?: Exclude<Operation, 'comprehensive'>;
  /** A check of the level that `validateMigrationPlan` runs too. */
  inPlan?: boolean;
  /** Runs the check: records it with `rec.guard` / `rec.attempt` / `rec.skip` under `ctx.check`. */
  run(ctx: CatalogCheckContext): Promise<void> | void;
}

/**
 * When the probes of a source can be made: `schema` from the catalog alone (started as soon as
 * it is read), `milestone` once the history and the milestone declarations are known,
 * `unreadable` only when the whole-file integrity check could not read the file (a second round).
 */
export type ProbeStage = 'schema' | 'milestone' | 'unreadable';

/** What the run hands a probe source. */
export interface ProbeContext {
  env: CheckEnv;
  /** For the checks the source cannot run on some object (`rec.skip`). */
  rec: RunRecorder;
  out: RunOutputs;
}

/**
 * Makes the probes of one or more checks. Several entries may share one source (one scan per
 * table serves three data checks): it is called once per run when any of them runs, so they
 * must have the same levels.
 */
export interface ProbeSource {
  stage: ProbeStage;
  tasks(ctx: ProbeContext): ProbeTask[];
}

/** A check whose queries run in child processes (in-process for small files). */
export interface ProbeCheck extends CheckInfo {
  where: 'probe';
  probes: ProbeSource;
}

/**
 * A step the run performs itself before any check (open the file, read the catalog, read the
 * history): listed here for its id and codes; the runner records it under this id.
 */
export interface RunnerStep extends CheckInfo {
  where: 'catalog';
  step: 'open' | 'catalog' | 'history';
}

/** One entry of the check registry. */
export type ValidationCheck = CatalogCheck | ProbeCheck | RunnerStep;

/** The `{ id, kind }` of an entry, as the recorder takes it. */
export function checkIdOf(check: ValidationCheck): CheckId {
  return { id: check.id, kind: check.kind };
}

/** True for an entry the run calls in-process. */
export function isCatalogCheck(check: ValidationCheck): check is CatalogCheck {
  return 'run' in check;
}

/** True for an entry whose work runs as probes. */
export function isProbeCheck(check: ValidationCheck): check is ProbeCheck {
  return 'probes' in check;
}

/** True for a step of the runner itself. */
export function isRunnerStep(check: ValidationCheck): check is RunnerStep {
  return 'step' in check;
}
