import type { OperationProgress } from '../events/index.js';
import type { Migration, MigrationSet, RepeatableMigration } from '../migration/index.js';
import type { MigrationStatus } from '../runner/migration-status.js';
import type { RunValues } from '../runner/run-values.js';
import type { RunnableConnection } from './dialect.js';
import type { DialectRunResult } from './dialect-migrator.js';
import type { MeasuredPart } from './dialect-run-metrics.js';
import type { LockWaitPolicy } from './lock-wait-policy.js';

/**
 * A whole run as its participants see it before its first step and after its last
 * ({@link DialectParticipant.beforeRun}, {@link DialectParticipant.afterRun}).
 */
export interface DialectRun {
  readonly connection: RunnableConnection;
  readonly migrations: MigrationSet;
  readonly runId: string;
  readonly direction: 'up' | 'down';
  /** True in a dry run: nothing is kept, and the run holds no lock. */
  readonly dryRun: boolean;
  /** Where the database stood once the run held its lock. */
  readonly status: MigrationStatus;
  readonly fromVersion: number;
  readonly targetVersion: number;
  /** The migrations the run applies (up, oldest first) or reverts (down, newest first). */
  readonly steps: readonly Migration[];
  /** The repeatable migrations an up run runs after its steps (those pending when it starts); none in a down. */
  readonly repeatables: readonly RepeatableMigration[];
  /** What the run's caller handed its participants (`DialectRunOptions.values`); empty when it handed nothing. */
  readonly values: RunValues;
  /** Reports the progress of long work of the hook (a backup's pages), as the run's `operationProgress` event: a bar on a terminal. */
  progress(p: OperationProgress): void;
}

/** One migration step as a participant sees it, inside the step's transaction. */
export interface DialectStep {
  readonly connection: RunnableConnection;
  readonly migration: Migration;
  readonly direction: 'up' | 'down';
  readonly runId: string;
  /** True in a dry run: everything is rolled back afterwards. */
  readonly dryRun: boolean;
  /** The run's stop request, given to `continueUp`: work between transactions checks it before each batch. */
  readonly signal?: AbortSignal;
  /**
   * The run's lock-wait policy (`DialectMigratorOptions.lockWait`; `--ddl-lock-timeout` and
   * `--ddl-retries` on the command line): work between transactions (a continued move's start)
   * bounds its own lock waits by it, as the runner bounds each migration's.
   */
  readonly lockWait?: LockWaitPolicy;
  /**
   * True for the down that takes a failed up back out (its continued work failed after its first
   * transaction committed): what this down drops is that attempt's own output, not data to keep.
   */
  readonly undoesFailedUp?: boolean;

  /** Reports the progress of long work (shown as a bar on a terminal). */
  progress(p: Omit<OperationProgress, 'ratePerSecond' | 'etaMs'>): void;
  /** Adds one entry to the run's report under the participant's name (`result.reports`). */
  report(entry: ParticipantReportEntry): void;
  /**
   * In a down (`aroundDown`, `beforeDown`): the losses of these tables are accounted for, archived
   * by the participant, or `'*'`: let go on purpose (preservation turned off). A dialect whose step
   * guard refuses a down that deletes rows it never names (SQLite's, for rows a cascade or a
   * rebuild takes) lets those through. Undefined outside downs.
   */
  accountLosses?(tables: readonly string[] | '*'): void;
  /** Adds to the rows this step processed (its `mfmig_metrics` row), as `ctx.countRows` does on SQLite. */
  countRows(rows: number): void;
  /**
   * Records one `mfmig_metrics` row for a part of this step (one transformation), in the step's
   * transaction, when the run records metrics; otherwise, and in a dry run, does nothing.
   */
  recordMetric(part: MeasuredPart): Promise<void>;
  /**
   * In an up step, from a participant that fingerprints the schema itself (see
   * {@link DialectParticipant.fingerprintsSchema}): the fingerprint the step's history row records.
   */
  recordSchemaHash(hash: string): void;
}

/** What a participant reports about one step: a kind, a table and a row count, plus details. */
export interface ParticipantReportEntry {
  kind: string;
  table?: string;
  rows: number;
  [detail: string]: unknown;
}

/** A participant's report entry, with where it came from. */
export interface ParticipantReport extends ParticipantReportEntry {
  participant: string;
  version: number;
  direction: 'up' | 'down';
}

/**
 * Work that joins every migration step of a {@link DialectMigrator} run, in the step's own
 * transaction, so that it commits or rolls back with the step. The run's participants are one
 * ordered list: hooks run in that order, and `aroundDown` wraps are nested in it (the first
 * participant's wrap is the outermost).
 *
 * @example
 * const auditing: DialectParticipant = {
 *   name: 'audit',
 *   async afterUp(step) { await step.connection.execute('INSERT INTO audit (v) VALUES ($1)', [step.migration.version]); },
 * };
 */
export interface DialectParticipant {
  readonly name: string;
  /** True for the participant that runs declared data transformations; without one, a migration that declares them is refused. */
  readonly runsTransformations?: boolean;
  /**
   * True when the participant cannot do its work without the step's transaction (rollback
   * preservation probes a down in a savepoint): a down that runs without one is then refused
   * before anything runs, instead of running without it.
   */
  readonly needsTransaction?: boolean;
  /**
   * True when, on this connection, the participant gives every up step's history row its schema
   * fingerprint (`step.recordSchemaHash`), in a scheme of its own, as SQLite's schema history does
   * for `Migrator`. The runner then writes no fingerprint of its own, not even after a rollback or
   * a repeatable, so that the history's fingerprints stay comparable with each other.
   */
  fingerprintsSchema?(connection: RunnableConnection): boolean;
  /**
   * Once per run, under the run's lock, after the steps were read again under it and before the
   * first one, outside any transaction: no other runner changes the database between this hook and
   * the run (a pre-run backup is taken here). Also called in a dry run, which holds no lock
   * (`run.dryRun`). A throw stops the run before anything is written: it becomes `result.error`.
   */
  beforeRun?(run: DialectRun): Promise<void>;
  /**
   * Once per run whose `beforeRun` hooks were called, whatever the outcome, still under the lock:
   * what the participant adds to the run's result goes in `result.extras`. A throw becomes
   * `result.error` when the run has none.
   */
  afterRun?(run: DialectRun, result: DialectRunResult): Promise<void>;
  /**
   * In a repeatable migration's transaction (for a `transaction: none` one, the transaction of its
   * row), after it ran and before its `mfmig_repeatable` row. `step.migration` is a stand-in
   * labelled `R`; `version` is the version the database is at, which the schema it leaves belongs
   * to (schema history records a newer snapshot of it).
   */
  afterRepeatable?(step: DialectStep, version: number): Promise<void>;
  /** In an up step's transaction, before the body of the migration. */
  beforeUp?(step: DialectStep): Promise<void>;
  /** After the body of an up migration, before its history row. */
  afterUp?(step: DialectStep): Promise<void>;
  /** Before the body of a down migration (inside every `aroundDown` wrap). */
  beforeDown?(step: DialectStep): Promise<void>;
  /** After the body of a down migration, before its history row goes (inside every `aroundDown` wrap; in a probe too). */
  afterDown?(step: DialectStep): Promise<void>;
  /**
   * Around the whole down of one migration (the `beforeDown` hooks and the body). It must call
   * `work()` once for real; it may call `work({ probe: true })` before that inside a savepoint it
   * rolls back, to see what the down would do (rollback preservation does). A probe's reports
   * are dropped.
   */
  aroundDown?(step: DialectStep, work: (options?: { probe?: boolean }) => Promise<void>): Promise<void>;
  /**
   * After `afterUp`, in the step's transaction: true when part of the step's work must run after
   * that transaction commits, in transactions of its own (large data transformations). The step's
   * history row then says `partial` until {@link finalizeUp} commits, as on SQLite.
   */
  needsContinuation?(step: DialectStep): Promise<boolean>;
  /**
   * In an up step's transaction, after every `afterUp` and the {@link needsContinuation} check,
   * before its history row; also for a `transaction: none` step, in the transaction of its
   * history row. `continued` is true when part of the step's work runs later: work that must see
   * every row the step makes then belongs in {@link finalizeUp} (rollback preservation puts
   * archived rows back here, or there, as the SQLite plugin does).
   */
  settleUp?(step: DialectStep, outcome: { continued: boolean }): Promise<void>;
  /** Resumable work outside any transaction, after the step committed; also called to resume a `partial` step. */
  continueUp?(step: DialectStep): Promise<void>;
  /** In the transaction that marks a continued step applied: the last of its work and its final checks. */
  finalizeUp?(step: DialectStep): Promise<void>;
}
